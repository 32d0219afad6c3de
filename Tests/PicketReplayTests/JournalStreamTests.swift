import Foundation
import Glibc
import PicketTestSupport
import Synchronization
import Testing

/// `picket run` as systemd starts it: `JOURNAL_STREAM` names the
/// `device:inode` of the stream the journal reads, and only when that is
/// the process's standard error are its lines written for journald.
@Suite struct JournalStreamTests {
    /// What a child wrote to a pipe, read as it comes.
    final class PipeReader: Sendable {
        private let bytes = Mutex<[UInt8]>([])

        init(_ fd: Int32) {
            Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(fd, &buffer, buffer.count)
                    if n > 0 {
                        bytes.withLock { $0 += buffer[0..<n] }
                    } else if n == 0 || errno != EINTR {
                        break
                    }
                }
            }.start()
        }

        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    }

    /// The standard error of `picket run --simulate` until it logs "picket
    /// running", on a pipe; `journalStream` makes JOURNAL_STREAM from the
    /// pipe's own `device:inode` (nil: unset).
    func standardError(journalStream: ((String) -> String)?) async throws -> String {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pipe = Pipe()
        var status = stat()
        try #require(fstat(pipe.fileHandleForWriting.fileDescriptor, &status) == 0)
        let identity = "\(status.st_dev):\(status.st_ino)"
        var environment = ProcessInfo.processInfo.environment
        for key in ["JOURNAL_STREAM", "PICKET_LOG_FORMAT", "PICKET_LOG_LEVEL", "NOTIFY_SOCKET"] {
            environment[key] = nil
        }
        if let journalStream { environment["JOURNAL_STREAM"] = journalStream(identity) }
        let process = Process()
        process.executableURL = Support.binary
        process.arguments = ["run", "--simulate", "--db", dir.appendingPathComponent("j.db").path]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = pipe
        let reader = PipeReader(pipe.fileHandleForReading.fileDescriptor)
        try process.run()
        try? pipe.fileHandleForWriting.close()
        defer { if process.isRunning { process.terminate() } }
        try await eventually("\"picket running\" on standard error", timeout: .seconds(30)) {
            reader.text.contains("picket running") || !process.isRunning
        }
        process.terminate()
        try await offThePool { process.waitUntilExit() }
        #expect(process.terminationStatus == 0, "\(reader.text)")
        try await eventually("the rest of standard error") { reader.text.contains("picket stopped") }
        return reader.text
    }

    @Test func journalLinesWhenStandardErrorIsTheJournalStream() async throws {
        let text = try await standardError(journalStream: { $0 })
        let lines = text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<6>picket running ") }, "\(text)")
        // Every line carries a priority journald reads: none is plain.
        #expect(lines.allSatisfy { $0.first == "<" }, "\(text)")
    }

    @Test func plainLinesWithoutJournalStream() async throws {
        let text = try await standardError(journalStream: nil)
        #expect(text.contains("picket running"), "\(text)")
        #expect(!text.split(separator: "\n").contains { $0.first == "<" }, "\(text)")
    }

    /// A `JOURNAL_STREAM` inherited from a service by a process whose
    /// standard error goes elsewhere (a shell, a pipe) does not count.
    @Test func plainLinesWhenJournalStreamNamesAnotherStream() async throws {
        let text = try await standardError(journalStream: { identity in
            let parts = identity.split(separator: ":")
            return "\(parts[0]):\(UInt64(parts[1])! + 1)"
        })
        #expect(text.contains("picket running"), "\(text)")
        #expect(!text.split(separator: "\n").contains { $0.first == "<" }, "\(text)")
    }
}
