import Foundation
import Logging
import PicketConfig
import PicketCore
import PicketDaemon
import PicketStore
import PicketTestSupport

@testable import PicketCLI

/// Paths and helpers shared by the replay tests.
enum Support {
    /// The package root (three levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let recordings = root.appendingPathComponent("Hardware/recordings")
    static let gpsdLogs = root.deletingLastPathComponent().appendingPathComponent("shared/data/nmea-gpsd")

    /// The `picket` executable built beside the test bundle.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("picket")
    }

    /// A fresh temporary directory, removed by the caller's `defer`.
    static func temporaryDirectory() throws -> URL { try PicketTestSupport.temporaryDirectory() }

    static let logger: Logger = {
        var logger = Logger(label: "picket-test")
        logger.logLevel = .critical
        return logger
    }()

    /// Replays `recording` with `config` into a new database under `directory`.
    static func replay(_ recording: URL, config: URL?, into db: URL) async throws -> ReplaySummary {
        let configuration = try config.map { try ConfigLoader.load(path: $0.path) } ?? DefaultConfiguration.load()
        return try await ReplayRunner.run(
            recording: recording.path, configuration: configuration, databasePath: db.path, logger: logger)
    }

    /// `picket events|alerts|sensors --json` as the CLI prints them.
    static func jsonLines(_ db: URL) throws -> (events: [String], alerts: [String], sensors: [String]) {
        let store = try Store(path: db.path, create: false)
        return (
            try store.events().map(EventsCommand.json), try store.alerts().map { AlertsCommand.json($0) },
            try store.sensors().map(SensorsCommand.json)
        )
    }

    /// Runs the `picket` binary; returns exit status, stdout and stderr.
    @discardableResult
    static func picket(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil)
        async throws -> ProcessOutput
    {
        try await runProcess(binary, arguments, environment: environment, in: directory)
    }

    /// Parses one JSON line into a dictionary.
    static func object(_ line: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }

    /// JSON lines of a live run without what only a live box can know: a
    /// replay has no system clock to find unsynchronised, so it never says
    /// `clock_synced: false` (this build machine's clock often is).
    static func withoutLiveMarks(_ jsonLines: String) -> String {
        jsonLines.replacingOccurrences(of: ",\"clock_synced\":false", with: "")
    }
}
