import Foundation
import PicketTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What an operator meets first (issue 10): `picket` alone, log levels, the
/// text view of `sensors`, a long replay's progress.
@Suite struct OperatorCLITests {
    let config = Support.recordings.appendingPathComponent("trail-crossing.yaml").path

    @Test("`picket` without arguments prints the help and exits 64")
    func noArguments() async throws {
        let result = try await Support.picket([])
        #expect(result.status == 64, "\(result.err)")
        #expect(result.err.contains("USAGE: picket <subcommand>"), "\(result.err)")
        #expect(result.err.contains("replay"))
        #expect(result.out.isEmpty)
    }

    /// A replay whose header names another box logs a warning: the level decides whether it shows.
    @Test("--log-level on run/record/replay and PICKET_LOG_LEVEL; invalid values are usage errors naming them")
    func logLevels() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = dir.appendingPathComponent("other.jsonl").path
        try "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\", \"box\": \"other-box\"}\n".write(
            toFile: recording, atomically: true, encoding: .utf8)
        var n = 0
        func replay(_ extra: [String], level: String? = nil) async throws -> ProcessOutput {
            n += 1
            var environment = ProcessInfo.processInfo.environment
            environment["PICKET_LOG_LEVEL"] = level
            return try await Support.picket(
                ["replay", recording, "--config", config, "--db", dir.appendingPathComponent("\(n).db").path]
                    + extra, environment: environment)
        }
        let warning = "recording box differs"
        let plain = try await replay([])
        #expect(plain.status == 0, "\(plain.err)")
        #expect(plain.err.contains(warning), "\(plain.err)")
        let quiet = try await replay(["--log-level", "error"])
        #expect(quiet.status == 0, "\(quiet.err)")
        #expect(!quiet.err.contains(warning), "\(quiet.err)")
        let quietEnvironment = try await replay([], level: "error")
        #expect(quietEnvironment.status == 0 && !quietEnvironment.err.contains(warning), "\(quietEnvironment.err)")
        let optionWins = try await replay(["--log-level", "WARNING"], level: "error")
        #expect(optionWins.status == 0 && optionWins.err.contains(warning), "\(optionWins.err)")

        let badEnvironment = try await replay([], level: "loud")
        #expect(badEnvironment.status == 64)
        #expect(badEnvironment.err.contains("PICKET_LOG_LEVEL: 'loud' is not a log level"), "\(badEnvironment.err)")
        for command in [["replay", recording], ["run", "--simulate"], ["record", "--out", "\(dir.path)/r.jsonl"]] {
            let bad = try await Support.picket(command + ["--log-level", "chatty"])
            #expect(bad.status == 64, "\(command): \(bad.err)")
            #expect(bad.err.contains("--log-level: 'chatty' is not a log level"), "\(command): \(bad.err)")
        }
    }

    @Test("the text view of sensors fits 120 columns and shows the box position to 6 decimals")
    func sensorsText() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("r.db").path
        let replay = try await Support.picket([
            "replay", Support.recordings.appendingPathComponent("radio-relay.jsonl").path, "--config",
            Support.recordings.appendingPathComponent("radio-relay.yaml").path, "--db", db,
        ])
        #expect(replay.status == 0, "\(replay.err)")
        let text = try await Support.picket(["sensors", "--db", db])
        #expect(text.status == 0, "\(text.err)")
        let lines = text.out.split(separator: "\n")
        #expect(lines.count > 2)
        for line in lines { #expect(line.count <= 120, "\(line.count) columns: \(line)") }
        let position = try #require(lines.first { $0.hasPrefix("box position ") }, "\(text.out)")
        let numbers = position.dropFirst("box position ".count).prefix { $0 != "(" }
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(numbers.count == 2, "\(position)")
        for number in numbers {
            #expect(number.split(separator: ".").last?.count == 6, "\(position)")
            #expect(Double(number) != nil, "\(position)")
        }
    }

    @Test("a replay shows its progress on standard error when that is a terminal, and only then")
    func replayProgress() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = dir.appendingPathComponent("long.jsonl").path
        var text = "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\", \"box\": \"b\"}\n"
        for i in 0..<2000 {
            text +=
                "{\"t\": \(i * 1_000_000), \"gpio\": {\"chip\": \"gpiochip0\", \"line\": 17, "
                + "\"edge\": \"\(i % 2 == 0 ? "rising" : "falling")\"}}\n"
        }
        try text.write(toFile: recording, atomically: true, encoding: .utf8)

        let terminal = try PseudoTerminal()
        let slave = try #require(FileHandle(forWritingAtPath: terminal.slavePath))
        let process = Process()
        process.executableURL = Support.binary
        process.arguments = ["replay", recording, "--config", config, "--db", dir.appendingPathComponent("a.db").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = slave
        try process.run()
        try await offThePool { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
        var seen: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(terminal.master, &chunk, chunk.count)
            guard n > 0 else { break }
            seen += chunk[..<n]
        }
        let shown = String(decoding: seen, as: UTF8.self)
        #expect(shown.contains("replaying \(recording): "), "\(shown)")
        #expect(shown.contains("2001 lines, 100 %"), "\(shown)")

        let piped = try await Support.picket([
            "replay", recording, "--config", config, "--db", dir.appendingPathComponent("b.db").path,
        ])
        #expect(piped.status == 0)
        #expect(!piped.err.contains("replaying"), "\(piped.err)")
    }
}
