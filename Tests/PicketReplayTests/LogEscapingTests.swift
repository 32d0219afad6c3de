import Logging
import Synchronization
import Testing

@testable import PicketCLI

/// A value with a control character cannot forge a log line or hide behind
/// a right-to-left override, in either log format.
@Suite struct LogEscapingTests {
    /// Records what the plain handler would be asked to print.
    struct Entry: Sendable, Equatable {
        var message: String
        var metadata: [String: String]
    }

    final class Recorded: Sendable {
        let events = Mutex<[Entry]>([])
    }

    struct Capture: LogHandler {
        let recorded: Recorded
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            if let extra = event.metadata { all.merge(extra) { $1 } }
            recorded.events.withLock {
                $0.append(Entry(message: "\(event.message)", metadata: all.mapValues { "\($0)" }))
            }
        }
    }

    @Test func journalLinesEscapeEveryControlCharacter() {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "t") { _ in
            JournalLogHandler(level: .info) { line in lines.withLock { $0.append(line) } }
        }
        logger.notice(
            "configuration reloaded", metadata: ["box": "sim\nINJECTED", "zone": "a\u{7}\u{0}\u{202E}b\u{7F}"])
        #expect(
            lines.withLock { $0 } == [
                "<5>configuration reloaded box=sim\\nINJECTED zone=a\\u{7}\\u{0}\\u{202E}b\\u{7F}\n"
            ])
    }

    @Test func thePlainHandlerGetsEscapedValues() {
        let recorded = Recorded()
        var logger = Logger(label: "t") { _ in EscapingLogHandler(Capture(recorded: recorded)) }
        logger[metadataKey: "box"] = "sim\nINJECTED"
        logger.info("picket\r\nstarted", metadata: ["sector": "s\u{2066}x\u{2069}", "port": "/dev/ttyUSB0"])
        let seen = recorded.events.withLock { $0 }
        #expect(seen.count == 1)
        #expect(seen.first?.message == "picket\\r\\nstarted")
        #expect(
            seen.first?.metadata == ["box": "sim\\nINJECTED", "sector": "s\\u{2066}x\\u{2069}", "port": "/dev/ttyUSB0"])
        #expect(seen.first.map { !$0.metadata.values.contains { $0.contains("\n") } } == true)
        logger.logLevel = .warning
        logger.info("hidden")
        #expect(recorded.events.withLock { $0.count } == 1)
    }

    @Test func plainTextIsLeftAlone() {
        #expect(
            LogText.escaped("Sainte-Anne ⛰ été /dev/ttyUSB0 \"q\" a\\b") == "Sainte-Anne ⛰ été /dev/ttyUSB0 \"q\" a\\b")
    }
}
