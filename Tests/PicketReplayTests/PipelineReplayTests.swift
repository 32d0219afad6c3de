import Foundation
import PicketConfig
import PicketCore
import PicketHardware
import PicketStore
import Testing

/// Recordings made from other sources, through the whole pipeline.
@Suite struct PipelineReplayTests {
    /// Writes a recording: a header and one line per input.
    static func writeRecording(_ inputs: [RecordedInput], configuration: PicketConfiguration, to url: URL) throws {
        var text =
            "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00.000Z\", \"box\": \"\(configuration.box)\"}\n"
        for input in inputs {
            switch input {
            case .edge(let t, let line, let rising):
                let g = configuration.gpio[line]
                text +=
                    "{\"t\": \(t), \"gpio\": {\"chip\": \"\(g.chip)\", \"line\": \(g.line), \"edge\": \"\(rising ? "rising" : "falling")\"}}\n"
            case .serial(let t, let port, let bytes):
                text +=
                    "{\"t\": \(t), \"serial\": {\"port\": \"\(configuration.serial[port].port)\", \"b64\": \"\(Data(bytes).base64EncodedString())\"}}\n"
            case .gap(let t, let port):
                text +=
                    "{\"t\": \(t), \"serial\": {\"port\": \"\(configuration.serial[port].port)\", \"text\": \"\"}, \"gap\": true}\n"
            }
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static var gpsdLogNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Support.gpsdLogs.path)) ?? [])
            .filter { $0.hasSuffix(".log") }.sorted()
    }

    /// Every gpsd log, its `#` comment lines stripped, replayed as serial
    /// input in invented chunks: no crash, and the pipeline takes exactly the
    /// fixes that the parser takes (GPSDLogTests checks those against gpsd's
    /// own output), the last one becoming the box's stored position.
    @Test(arguments: gpsdLogNames)
    func gpsdLogReplaysThroughPipeline(name: String) async throws {
        let raw = try [UInt8](Data(contentsOf: Support.gpsdLogs.appendingPathComponent(name)))
        var bytes: [UInt8] = []
        for line in raw.split(separator: 0x0A, omittingEmptySubsequences: false) where line.first != UInt8(ascii: "#") {
            bytes += line
            bytes.append(0x0A)
        }
        let configuration = PicketConfiguration(
            box: "gpsd", sector: "test", serial: [SerialPortConfig(port: "/dev/ttyUSB1", baud: 4800)])
        var random = SplitMix64(seed: UInt64(name.utf8.count))
        var inputs: [RecordedInput] = []
        var offset = 0
        var t: Int64 = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, random.next(in: 1...160))
            inputs.append(.serial(t: t, port: 0, bytes: Array(bytes[offset..<(offset + n)])))
            offset += n
            t += Int64(random.next(in: 1...50)) * 1_000_000
        }
        // What the framer and parser alone make of the same bytes.
        var framer = NMEAFramer()
        var fixes: [Position] = []
        framer.feed(bytes) { body in
            if case .success(.fix(let fix)) = SentenceParser.parse(body) { fixes.append(fix.position) }
        }

        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = dir.appendingPathComponent("\(name).jsonl")
        try Self.writeRecording(inputs, configuration: configuration, to: recording)
        let yaml = dir.appendingPathComponent("gpsd.yaml")
        try "box: gpsd\nsector: test\nserial:\n  - {port: /dev/ttyUSB1, baud: 4800}\n".write(
            to: yaml, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("gpsd.db")
        let summary = try await Support.replay(recording, config: yaml, into: db)
        #expect(summary.counters.serialBytes == bytes.count)
        #expect(summary.counters.fixes == fixes.count)
        #expect(summary.counters.framing.frames + summary.counters.framing.rejectedTotal > 0)
        #expect(summary.counters.events == 0)
        let stored = try Store(path: db.path, create: false).boxFix()
        #expect(stored?.position == fixes.last)
    }

    /// Twenty minutes of the simulated field kit as a recording: every rule
    /// of the kit fires, the radio's repeats and losses and the PIR's
    /// flickers are counted, and the replay is the same every time.
    @Test func simulatedKitRecordingReplays() async throws {
        let configuration = DefaultConfiguration.load()
        var kit = SimulatedFieldKit(
            configuration: configuration, startedUTC: UTCTime.parse("2026-06-05T03:12:00Z")!, seed: 7)
        var inputs: [RecordedInput] = []
        while true {
            let input = kit.next()
            if input.t > 20 * 60 * 1_000_000_000 { break }
            inputs.append(input)
        }
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recording = dir.appendingPathComponent("sim.jsonl")
        try Self.writeRecording(inputs, configuration: configuration, to: recording)
        let a = dir.appendingPathComponent("a.db")
        let summary = try await Support.replay(recording, config: nil, into: a)
        let c = summary.counters
        #expect(c.inputs == inputs.count)
        for rule in ["crossing", "ford-vehicle", "northbound", "southbound", "detection"] {
            #expect((c.alertsByRule[rule] ?? 0) > 0, "rule \(rule) never fired")
        }
        #expect(c.glitchTotal > 0)
        #expect(c.duplicateTotal > 0)
        #expect(c.lostTotal > 0)
        #expect(c.fixes > 1000)
        #expect(c.statuses > 0)
        #expect(c.framing.rejectedTotal > 0)
        #expect(c.invalidSentences == 0)
        let b = dir.appendingPathComponent("b.db")
        _ = try await Support.replay(recording, config: nil, into: b)
        let first = try Support.jsonLines(a)
        let second = try Support.jsonLines(b)
        #expect(first.events == second.events)
        #expect(first.alerts == second.alerts)
    }

    /// Lines of random bytes (invalid UTF-8, control characters, broken
    /// JSON) after a valid header: a clean error naming the first 20 lines
    /// and counting the rest, never a crash.
    @Test func garbageLinesAreReportedNotFatal() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var random = SplitMix64(seed: 99)
        var bytes = Array("{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\"}\n".utf8)
        let fragments = ["{", "}", "[", "\"t\"", ":", "1e999", "-", "\"\\u12", "null", ",", "\"gpio\"", "{\"t\":1}"]
        for _ in 0..<500 {
            for _ in 0..<random.next(in: 1...12) {
                if random.next(in: 0...1) == 0 {
                    bytes += Array(fragments[random.next(in: 0...(fragments.count - 1))].utf8)
                } else {
                    bytes.append(UInt8(random.next(in: 0...255)) == 0x0A ? 0x20 : UInt8(random.next(in: 0...255)))
                }
            }
            bytes.append(0x0A)
        }
        let recording = dir.appendingPathComponent("garbage.jsonl")
        try Data(bytes).write(to: recording)
        do {
            _ = try await Support.replay(recording, config: nil, into: dir.appendingPathComponent("g.db"))
            Issue.record("a recording of garbage replayed without an error")
        } catch RecordingError.invalid(let problems, let more) {
            #expect(problems.count == RecordingReader.maximumProblems)
            #expect(problems.allSatisfy { $0.file == recording.path && ($0.line ?? 0) >= 2 })
            #expect(problems.count + more > 400)
        }
    }

    /// Blank lines are ignored everywhere, before the header too; line
    /// numbers in errors still count them.
    @Test func blankLinesBeforeTheHeaderAreIgnored() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Support.recordings.appendingPathComponent("trail-crossing.yaml")
        let recording = dir.appendingPathComponent("blank.jsonl")
        let header = "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\", \"box\": \"swanton-07\"}"
        let edge = "{\"t\": 1000, \"gpio\": {\"chip\": \"gpiochip0\", \"line\": 17, \"edge\": \"rising\"}}"
        try "\n  \n\(header)\n\n\(edge)\n".write(to: recording, atomically: true, encoding: .utf8)
        let summary = try await Support.replay(recording, config: config, into: dir.appendingPathComponent("b.db"))
        #expect(summary.counters.inputs == 1)

        try "\n\n{\"picket_recording\": 2}\n".write(to: recording, atomically: true, encoding: .utf8)
        do {
            _ = try await Support.replay(recording, config: config, into: dir.appendingPathComponent("c.db"))
            Issue.record("a version 2 header was taken")
        } catch RecordingError.invalid(let problems, _) {
            #expect(problems.first?.line == 3)
        }

        try "\n \n".write(to: recording, atomically: true, encoding: .utf8)
        await #expect(throws: RecordingError.self) {
            _ = try await Support.replay(recording, config: config, into: dir.appendingPathComponent("d.db"))
        }

        // A UTF-8 byte-order mark at the start, as some editors write one.
        try Data([0xEF, 0xBB, 0xBF] + Array("\(header)\n\(edge)\n".utf8)).write(to: recording)
        let bom = try await Support.replay(recording, config: config, into: dir.appendingPathComponent("e.db"))
        #expect(bom.counters.inputs == 1)
    }
}
