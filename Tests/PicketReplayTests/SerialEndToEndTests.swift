import Foundation
import Glibc
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import PicketTestSupport
import Testing

/// The live serial path end to end: a pseudo-terminal standing in for the
/// radio receiver, the termios driver feeding the hub, the pipeline
/// committing to SQLite, and an unplug in the middle of a sentence.
@Suite struct SerialEndToEndTests {
    @Test func radioSentencesBecomeStoredEventsAcrossAnUnplug() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-radio-if00").path
        let first = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: first.slavePath)

        let configuration = PicketConfiguration(
            box: "e2e-box", sector: "e2e", serial: [SerialPortConfig(port: link, baud: 9600)],
            sensors: [SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork")])
        let mapping = UTCMapping()
        let started = mapping.now()
        let store = try Store(path: dir.appendingPathComponent("picket.db").path)
        let runID = "live:e2e"
        try store.beginRun(
            id: runID, mode: "live", startedTs: started, input: "serial \(link)", sensors: configuration.allSensors)
        let hub = InputHub(lines: 0, ports: 1)
        let pipeline = Pipeline(
            configuration: configuration, hub: hub, store: store, runID: runID, logger: Support.logger,
            mode: .live(.init()))
        let health = DriverHealthBoard()
        let driver = TermiosSerialDriver(
            portIndex: 0, config: configuration.serial[0], mapping: mapping, health: health, logger: Support.logger,
            retry: RetryPolicy(initialNs: 20_000_000, maximumNs: 200_000_000))
        let task = Task { try await driver.run(into: hub) }
        defer { task.cancel() }

        var statuses: [DriverStatus] = []
        /// Does what the processing thread does live, then checks `condition`;
        /// until it holds or thirty seconds pass.
        func processUntil(_ what: String, _ condition: () -> Bool) async throws {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while true {
                pipeline.drain()
                let now = mapping.now()
                pipeline.advance(to: now - 20_000_000)
                try pipeline.collect(now: now, force: true)
                statuses += health.take()
                if condition() { return }
                guard clock.now < deadline else {
                    Issue.record("timed out waiting: \(what)")
                    throw TimedOut()
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        var counters: ProcessorCounters { pipeline.processor.counters }
        func healthy(_ n: Int) -> Bool { statuses.last?.healthy == true && statuses.count { $0.healthy } == n }
        func detection(_ seq: Int, strength: Int, class detectionClass: String = "FOOT") -> [UInt8] {
            nmeaSentence("PGSD,seis-7,\(seq),\(detectionClass),\(strength)")
        }

        try await processUntil("the port open") { healthy(1) }
        // Byte by byte: sentences assembled from many one-byte reads.
        for seq in 1...3 { try first.writeByteByByte(detection(seq, strength: 10 + seq)) }
        try await processUntil("three events") { counters.events == 3 }
        // A burst in one write.
        try first.write((4...203).flatMap { detection($0, strength: $0 % 100) })
        try await processUntil("203 events") { counters.events == 203 }

        // Unplugged in the middle of a sentence. Its tail arrives from the
        // next device: joined to its head it would be a valid sentence
        // (strength 100), so it must be dropped, not stored.
        let split = detection(300, strength: 100, class: "VEH")
        let cut = split.count / 2
        try first.write(Array(split[..<cut]))
        let bytesBeforeUnplug = counters.serialBytes
        try await processUntil("the sentence's head read") { counters.serialBytes == bytesBeforeUnplug + cut }
        try first.unplug(link: link)
        try await processUntil("the unplug seen") { statuses.last?.healthy == false }
        let second = try PseudoTerminal()
        try PseudoTerminal.pointLink(link, to: second.slavePath)
        try await processUntil("the port reopened") { healthy(2) }
        try second.writeByteByByte(Array(split[cut...]))
        try second.writeByteByByte(detection(301, strength: 41))
        try second.write((302...305).flatMap { detection($0, strength: $0 % 100) })
        try await processUntil("208 events") { counters.events >= 208 }

        task.cancel()
        try await task.value
        try pipeline.finish(now: mapping.now())
        let finished = mapping.now()

        let events = try store.events()
        #expect(events.count == 208)
        #expect(events.allSatisfy { $0.sensor == "seis-7" && $0.kind == .seismic && $0.source == .serial })
        #expect(events.allSatisfy { $0.state == .active && $0.box == "e2e-box" && $0.zone == "north-fork" })
        #expect(events.allSatisfy { $0.ts >= started && $0.ts <= finished })
        let expectedStrengths =
            (1...3).map { 10 + $0 } + (4...203).map { $0 % 100 } + [41] + (302...305).map { $0 % 100 }
        #expect(events.compactMap(\.strength).sorted() == expectedStrengths.sorted())
        #expect(!events.contains { $0.strength == 100 })
        #expect(events.filter { $0.detectionClass == "VEH" }.isEmpty)
        #expect(counters.serialGaps == 1)
        // 204 to 300 never arrived whole: 97 radio messages lost between 203 and 301.
        #expect(counters.lost["seis-7"] == 97)
        #expect(hub.totalDrops == 0)
    }

    struct TimedOut: Error {}
}
