import Foundation
import PicketCore
import PicketDaemon
import PicketHardware
import PicketStore
import PicketTestSupport
import Testing

/// Giving memory back after a storm keeps everything that waits.
@Suite struct PipelineMemoryTests {
    @Test func releasingMemoryKeepsTheBacklogAndTheHeldEvents() throws {
        let rig = try PipelineCommitTests.Rig()
        defer { try? FileManager.default.removeItem(at: rig.dir) }
        let t0 = PipelineCommitTests.t0
        let ms = PipelineCommitTests.ms
        rig.pipeline.batchSize = 1_000_000
        rig.feed(1...1000, at: t0)
        // Half released (500 events and their alerts wait for the store), half still held.
        rig.pipeline.advance(to: t0 + 501 * ms)
        #expect(try !rig.pipeline.collect(now: t0 + 501 * ms))
        #expect(rig.pipeline.backlog == 1000)
        rig.pipeline.releaseMemory()
        #expect(rig.pipeline.backlog == 1000)
        rig.pipeline.advance(to: t0 + 2000 * ms)
        while try rig.pipeline.collect(now: t0 + 2000 * ms, force: true) {}
        #expect(try rig.store.count("events") == 1000)
        #expect(
            try rig.count("SELECT COUNT(*) FROM events a JOIN events b ON b.seq = a.seq + 1 WHERE b.ts < a.ts") == 0)
    }
}
