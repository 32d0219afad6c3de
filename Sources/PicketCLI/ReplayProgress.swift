import Foundation
import PicketCore

/// `picket replay`'s progress on standard error when that is a terminal:
/// one line rewritten in place at the start and then once a second (lines
/// read, share of the file), ended at 100 % before the summary. A pipe or
/// a file (a log, a test) gets none of it.
final class ReplayProgress {
    let recording: String
    let size: Int
    private let clock: any PicketClock = SystemClock()
    /// Monotonic ns of the last line shown.
    private var last: Int64?
    private var lines = 0

    init(recording: String) {
        self.recording = recording
        size = ((try? FileManager.default.attributesOfItem(atPath: recording))?[.size] as? Int) ?? 0
    }

    func update(lines: Int, bytes: Int) {
        self.lines = lines
        let now = clock.monotonicNs()
        if let last, now - last < 1_000_000_000 { return }
        last = now
        show(lines: lines, bytes: bytes, end: "")
    }

    func finish() {
        guard last != nil else { return }
        show(lines: lines, bytes: size, end: "\n")
    }

    private func show(lines: Int, bytes: Int, end: String) {
        let percent = size > 0 ? min(100, bytes * 100 / size) : 100
        Console.rawError("\r\u{1B}[Kreplaying \(recording): \(lines) lines, \(percent) %" + end)
    }
}
