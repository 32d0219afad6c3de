import Foundation
import Glibc
import PicketStore
import PicketTestSupport
import Synchronization
import Testing

/// SIGHUP with delivery configured (`systemctl reload picket`): the daemon
/// restarts its services inside the process on the configuration it reads
/// again, and the sender's in-flight message and its queue carry on.
@Suite struct ReloadDeliveryTests {
    /// The endpoint holds the first alert it gets without an answer, so the
    /// one sender waits on it while the kit's next alerts queue in the
    /// outbox; SIGHUP then. The held alert is sent again under its key and
    /// taken, every queued one is taken exactly once, and nothing is lost.
    @Test func sighupWithAMessageInFlightAndOthersQueuedLosesNone() async throws {
        let f = try Fixture()
        // What the endpoint did with each alert: held (the first) or took (200).
        let heldKey = Mutex<String?>(nil)
        let taken = Mutex<[String]>([])
        let receiver = try TestReceiver { request, _ in
            guard request.uri == "/alerts", let key = request.header("Idempotency-Key") else { return .init() }
            let hold = heldKey.withLock { held -> Bool in
                guard held == nil else { return false }
                held = key
                return true
            }
            if hold { return .init(delay: .hours(1)) }
            taken.withLock { $0.append(key) }
            return .init()
        }
        let kit = try String(contentsOf: CrashSafetyTests.simulateConfig, encoding: .utf8)
        let config = f.dir.appendingPathComponent("live.yaml").path
        try
            (kit + """

                forward:
                  url: http://127.0.0.1:\(receiver.port)/alerts
                  secret_file: \(f.secretPath)

                """).write(toFile: config, atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            CrashSafetyTests.binary, ["run", "--simulate", "--config", config, "--db", f.db],
            log: f.dir.appendingPathComponent("run.log"))
        try await child.waitForLog("picket running")
        try await eventually("an alert held by the endpoint", timeout: .seconds(60)) {
            heldKey.withLock { $0 } != nil
        }
        let held = try #require(heldKey.withLock { $0 })
        try await eventually("alerts queued behind the held one", timeout: .seconds(60)) {
            try !f.store().deliveries(states: [.pending]).filter { $0.destination == "sector" }.isEmpty
        }
        #expect(try f.store().deliveries(states: [.inFlight]).map(\.id) == [held])
        let queued = try f.store().deliveries(states: [.pending]).filter { $0.destination == "sector" }.map(\.id)
        #expect(taken.withLock { $0 }.isEmpty, "the sender went past the held request")

        kill(child.process.processIdentifier, SIGHUP)
        try await child.waitForLog("configuration reloaded")
        let owed = Set(queued + [held])
        try await eventually("the held and the queued alerts delivered", timeout: .seconds(60)) {
            let delivered = Set(try f.store().deliveries(states: [.delivered]).map(\.id))
            return owed.isSubset(of: delivered)
        }
        #expect(try await child.stop() == 0, "\(child.stderr)")

        let keys = receiver.requests.filter { $0.uri == "/alerts" }.compactMap { $0.header("Idempotency-Key") }
        let takenKeys = taken.withLock { $0 }
        // The held one: sent, held, sent again under its key after the reload, taken.
        #expect(keys.count { $0 == held } == 2, "\(held) sent \(keys.count { $0 == held }) times")
        for key in owed {
            #expect(takenKeys.count { $0 == key } == 1, "\(key) taken \(takenKeys.count { $0 == key }) times")
        }
        // No alert taken twice, none sent that the database does not hold.
        #expect(takenKeys.count == Set(takenKeys).count, "taken twice: \(takenKeys)")
        let stored = Set(try f.store().alerts().map(\.alert.id))
        #expect(Set(keys).isSubset(of: stored), "sent, not stored: \(Set(keys).subtracting(stored))")
        #expect(child.stderr.contains("SIGHUP: reloading the configuration"))
    }
}
