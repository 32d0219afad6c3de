import Foundation
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// The termios driver keeps its port's watermark in the hub: while it waits
/// in `poll` nothing older than the clock can come (a read is stamped when
/// it returns), so the hot path need not hold events back for it.
@Suite struct SerialWatermarkTests {
    @Test func aWaitingPortFollowsTheClockAndCoversWhatItDelivered() async throws {
        let pty = try PseudoTerminal()
        let h = SerialDriverHarness()
        let hub = InputHub(lines: 0, ports: 1)
        #expect(hub.watermark(now: h.mapping.now()) == nil)
        let driver = h.driver(pty.slavePath)
        let task = Task { try await driver.run(into: hub) }
        defer { task.cancel() }
        try await eventually("the open port waits with the clock as its watermark") {
            let now = h.mapping.now()
            return hub.watermark(now: now) == now
        }
        try pty.write(nmeaSentence("PGSD,seis-7,1,FOOT,11"))
        try await eventually("the read is in the ring") { hub.depth > 0 }
        var stamped = Int64.min
        while hub.depth > 0 { hub.drainRound { stamped = max(stamped, $0.t) } }
        try await eventually("waiting again, past the read") {
            hub.watermark(now: h.mapping.now()).map { $0 > stamped } ?? false
        }
        task.cancel()
        try await task.value
    }
}
