import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Standard output and error through write(2), with a buffer for output
/// (`events --json` may print millions of lines) and none for errors, which
/// must not wait behind it.
enum Console {
    private static let buffer = Mutex<[UInt8]>([])
    private static let closed = Atomic<Bool>(false)
    private static let lineByLine = Atomic<Bool>(false)

    /// True once standard output could not be written (EPIPE: `picket events
    /// | head` is done reading): whoever produces output should stop.
    static var isClosed: Bool { closed.load(ordering: .relaxed) }

    /// True once standard output's reader is gone: poll(2) reports the
    /// pipe's read end closed (POLLERR), a hang-up (POLLHUP) or no such
    /// descriptor; output counts as closed from then on. A follower waiting
    /// for rows calls it between polls, so `picket events --follow | head -1`
    /// ends when `head` does, not at the next row a daemon stores.
    static func readerGone() -> Bool {
        if isClosed { return true }
        var descriptor = pollfd(fd: 1, events: 0, revents: 0)
        guard poll(&descriptor, 1, 0) == 1,
            descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
        else { return false }
        closed.store(true, ordering: .relaxed)
        return true
    }

    /// Writes every line at once from now on (`--follow`: each row must
    /// reach a pipe as soon as it is printed).
    static func flushEachLine() {
        flush()
        lineByLine.store(true, ordering: .relaxed)
    }

    static func out(_ line: String) {
        buffer.withLock { bytes in
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0A)
            if bytes.count >= 1 << 16 || lineByLine.load(ordering: .relaxed) {
                writeAll(1, bytes)
                bytes.removeAll(keepingCapacity: true)
            }
        }
    }

    static func error(_ text: String) {
        flush()
        var bytes: [UInt8] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            bytes.append(contentsOf: "picket: \(line)\n".utf8)
        }
        writeAll(2, bytes)
    }

    /// Writes `text` to standard error as it is, without the `picket: `
    /// prefix (the help, a progress line rewritten in place).
    static func rawError(_ text: String) {
        flush()
        writeAll(2, Array(text.utf8))
    }

    static func flush() {
        buffer.withLock { bytes in
            writeAll(1, bytes)
            bytes.removeAll(keepingCapacity: true)
        }
    }

    /// Writes everything, retrying on EINTR and short writes; a closed pipe
    /// (EPIPE, `picket events | head`) ends the output quietly.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    if fd == 1 { closed.store(true, ordering: .relaxed) }
                    return
                }
                offset += n
            }
        }
    }
}

/// Left-aligned columns for the human-readable tables.
struct Table {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: String...) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func print() {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                if i == cells.count - 1 {
                    out += cell
                } else {
                    out += cell + String(repeating: " ", count: widths[i] - cell.count + 2)
                }
            }
            return out
        }
        Console.out(line(header))
        for row in rows { Console.out(line(row)) }
    }
}
