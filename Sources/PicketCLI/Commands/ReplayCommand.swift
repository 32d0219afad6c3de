import ArgumentParser
import Foundation
import Logging
import PicketCore
import PicketDaemon

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replays a recording through the whole pipeline into the database and prints a summary.",
        discussion: """
            Runs on the recording's own (virtual) clock unless --realtime. The whole recording is checked \
            first: one with a bad line (exit 65) leaves the database untouched. Then it commits every \
            10000 events; a replay stopped midway is completed by replaying it again from the start, which \
            stores nothing twice: events and alerts have deterministic ids. Without --config the simulated \
            field kit's configuration is used.
            """)

    @Argument(help: "The recording (.jsonl).")
    var recording: String

    @Option(name: .long, help: "The YAML configuration the recording was made with.")
    var config: String?

    @Option(name: .long, help: "The SQLite database to replay into.")
    var db: String?

    func validate() throws { try validateDatabasePath(db) }

    @Flag(name: .long, help: "Wait out the recorded gaps between inputs.")
    var realtime = false

    @OptionGroup var logging: LogLevelOption

    func run() async throws {
        let logger = logging.logger()
        try await reportingErrors {
            let configuration = try loadConfiguration(config)
            let path = DefaultPaths.database(explicit: db, configuration: configuration)
            try DefaultPaths.prepareDirectory(for: path)
            let progress = isatty(STDERR_FILENO) == 1 ? ReplayProgress(recording: recording) : nil
            let summary = try await ReplayRunner.run(
                recording: recording, configuration: configuration, databasePath: path, realtime: realtime,
                logger: logger, progress: progress.map { p in { p.update(lines: $0, bytes: $1) } })
            progress?.finish()
            Self.print(summary)
        }
    }

    static func print(_ s: ReplaySummary) {
        let c = s.counters
        func list(_ pairs: [(String, Int)]) -> String {
            pairs.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        }
        Console.out("replayed \(s.recording) into \(s.database)")
        Console.out(
            "  inputs     \(c.inputs) (\(c.edges) GPIO edges, \(c.serialChunks) serial reads, "
                + "\(c.serialBytes) bytes) over \(seconds(s.recordedSpanNs)) s recorded, \(s.linesRead) lines")
        Console.out(
            "  events     \(c.events) in \(c.episodes) episodes; glitches \(c.glitchTotal)")
        let rejected = list(FrameRejection.allCases.map { ($0.rawValue, c.framing[$0]) })
        Console.out(
            "  frames     \(c.framing.frames) accepted, \(c.framing.rejectedTotal) rejected"
                + (rejected.isEmpty ? "" : " (\(rejected))") + "; \(c.framing.noiseBytes) noise bytes")
        Console.out(
            "  sentences  \(c.invalidSentences) invalid, \(c.ignoredSentences) ignored, \(c.fixes) GPS fixes, "
                + "\(c.statuses) heartbeats, \(c.unknownSensorTotal) from unknown sensors")
        Console.out("  radio      \(c.duplicateTotal) duplicates dropped, \(c.lostTotal) messages lost")
        let rules = list(c.alertsByRule.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        Console.out("  alerts     \(c.alerts)" + (rules.isEmpty ? "" : " (\(rules))"))
        if s.ringDrops > 0 { Console.out("  dropped    \(s.ringDrops) inputs on the hot path") }
        Console.out(
            "  elapsed    \(seconds(s.elapsedNs, digits: 3)) s, \(Int(s.inputsPerSecond.rounded())) inputs/s")
    }

    static func seconds(_ ns: Int64, digits: Int = 1) -> String {
        String(format: "%.\(digits)f", Double(ns) / 1e9)
    }
}
