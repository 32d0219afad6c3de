/// Left-aligned columns for rows that stream (`picket events` over millions
/// of rows, `--follow`): the widths come from the header, the given minimums
/// and the first `sample` rows, held until then, so memory does not grow with
/// the rows. A later cell wider than its column pushes the rest of its row
/// right, two spaces after it.
final class StreamingTable {
    private let header: [String]
    private var widths: [Int]
    private var held: [[String]] = []
    private var started = false
    private let sample: Int

    /// `minimumWidths`, when given, has one entry per column (values known to
    /// come, such as a timestamp's 30 characters).
    init(_ header: [String], minimumWidths: [Int] = [], sample: Int = 256) {
        self.header = header
        self.sample = sample
        widths = header.enumerated().map { i, name in max(name.count, i < minimumWidths.count ? minimumWidths[i] : 0) }
    }

    func add(_ row: [String]) {
        if started {
            Console.out(line(row))
            return
        }
        for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        held.append(row)
        if held.count >= sample { start() }
    }

    /// Prints the header and the rows held so far (also with none); later
    /// rows print as they come.
    func start() {
        guard !started else { return }
        started = true
        Console.out(line(header))
        for row in held { Console.out(line(row)) }
        held = []
    }

    private func line(_ cells: [String]) -> String {
        var out = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 {
                out += cell
            } else {
                out += cell + String(repeating: " ", count: max(widths[i] - cell.count, 0) + 2)
            }
        }
        return out
    }
}
