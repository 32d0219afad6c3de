import Logging
import Synchronization
import Testing

@testable import PicketCLI

/// Log lines as journald reads them: a `<N>` priority, one line, key=value.
@Suite struct JournalLogTests {
    @Test func linesCarryThePriorityAndMetadata() {
        #expect(
            JournalLogHandler.line(
                level: .warning, message: "serial port lost, reopening",
                metadata: ["port": "/dev/ttyUSB0", "reason": "/dev/ttyUSB0: hung up (device unplugged)"])
                == "<4>serial port lost, reopening port=/dev/ttyUSB0 reason=\"/dev/ttyUSB0: hung up (device unplugged)\"\n"
        )
        #expect(JournalLogHandler.line(level: .info, message: "a\nb", metadata: [:]) == "<6>a\\nb\n")
        let priorities = [Logger.Level.trace, .debug, .info, .notice, .warning, .error, .critical].map {
            JournalLogHandler.priority($0)
        }
        #expect(priorities == [7, 7, 6, 5, 4, 3, 2])
    }

    @Test func theHandlerWritesOneLinePerEntry() {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "t") { _ in
            JournalLogHandler(level: .info) { line in lines.withLock { $0.append(line) } }
        }
        logger.debug("hidden")
        logger.error("cannot commit to the store, retrying", metadata: ["error": "disk I/O error"])
        #expect(lines.withLock { $0 } == ["<3>cannot commit to the store, retrying error=\"disk I/O error\"\n"])
    }

    @Test func journalFormatUnderSystemdOnly() {
        #expect(JournalLogHandler.wanted(["JOURNAL_STREAM": "8:12345"], standardError: "8:12345"))
        #expect(!JournalLogHandler.wanted(["JOURNAL_STREAM": "8:12345"], standardError: "8:12346"))
        #expect(!JournalLogHandler.wanted(["JOURNAL_STREAM": "8:12345"], standardError: nil))
        #expect(!JournalLogHandler.wanted([:], standardError: "8:12345"))
        #expect(JournalLogHandler.wanted(["PICKET_LOG_FORMAT": "journal"], standardError: nil))
        #expect(
            !JournalLogHandler.wanted(["JOURNAL_STREAM": "8:1", "PICKET_LOG_FORMAT": "plain"], standardError: "8:1"))
    }
}
