import Crypto
import Foundation
import Glibc
import PicketTestSupport
import Testing

/// The daemon killed with SIGKILL while a request is in flight (the
/// endpoint holds it and never answers), and restarted each time: no alert
/// is lost, and none reaches the receiver under a key the database does not
/// know. Duplicates of one key are allowed (at least once).
@Suite struct CrashSafetyTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("picket")
    }
    static let simulateConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Config/picket.simulate.yaml")

    @Test func sigkillWithARequestInFlightLosesNoAlert() async throws {
        let f = try Fixture()
        // Holds every request without an answer (longer than the sender's
        // 30 s timeout) until the drain at the end.
        let receiver = try TestReceiver { _, _ in .init(delay: .hours(1)) }
        let forward = """

            forward:
              url: http://127.0.0.1:\(receiver.port)/alerts
              secret_file: \(f.secretPath)

            """
        let kit = try String(contentsOf: Self.simulateConfig, encoding: .utf8)
        let live = f.dir.appendingPathComponent("live.yaml").path
        try (kit + forward).write(toFile: live, atomically: true, encoding: .utf8)
        // The same kit with no rule and no severity: it raises no new alert
        // while the backlog drains at the end.
        var quiet = String(kit[..<kit.range(of: "\nrules:")!.lowerBound])
        for severity in [", severity: low", ", severity: medium"] {
            quiet = quiet.replacingOccurrences(of: severity, with: "")
        }
        let drain = f.dir.appendingPathComponent("drain.yaml").path
        try (quiet + "\n" + forward).write(toFile: drain, atomically: true, encoding: .utf8)
        func alertRequests() -> [TestReceiver.Request] { receiver.requests.filter { $0.uri == "/alerts" } }

        // Each run lasts until an alert's request reaches the endpoint and is
        // held there and the run has raised an alert of its own (held or
        // queued behind), and a moment more; then SIGKILL, with that request
        // in flight.
        var random = SystemRandomNumberGenerator()
        var held: [String] = []
        for run in 0..<4 {
            let before = alertRequests().count
            let raised = try f.store().alerts().count
            let child = try ChildProcess(
                Self.binary, ["run", "--simulate", "--config", live, "--db", f.db],
                log: f.dir.appendingPathComponent("run-\(run).log"))
            try await child.waitForLog("picket running")
            try await eventually("an alert's request held by the endpoint", timeout: .seconds(60)) {
                alertRequests().count > before
            }
            try await eventually("an alert raised in run \(run)", timeout: .seconds(60)) {
                try f.store().alerts().count > raised
            }
            let key = try #require(alertRequests().last?.header("Idempotency-Key"))
            held.append(key)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...2_000, using: &random)))
            kill(child.process.processIdentifier, SIGKILL)
            try await child.waitForExit()
            #expect(child.process.terminationReason == .uncaughtSignal)
            // The kill landed with the request claimed and unanswered.
            #expect(try f.store().deliveries(states: [.inFlight]).map(\.id) == [key], "run \(run)")
        }

        receiver.setScript { _, _ in .init() }
        let child = try ChildProcess(
            Self.binary, ["run", "--simulate", "--config", drain, "--db", f.db],
            log: f.dir.appendingPathComponent("drain.log"))
        try await child.waitForLog("picket running")
        try await eventually("the backlog delivered", timeout: .seconds(60)) {
            try f.store().deliveries(states: [.pending, .inFlight]).isEmpty
        }
        #expect(try await child.stop() == 0, "\(child.stderr)")

        // The receiver's ids against the database's (the box's statuses go
        // to /status beside them).
        let stored = Set(try f.store().alerts().map(\.alert.id))
        let requests = alertRequests()
        let keys = requests.compactMap { $0.header("Idempotency-Key") }
        print("crash safety: \(stored.count) alerts, \(requests.count) alert requests, 4 SIGKILLs in flight")
        #expect(keys.count == requests.count, "an alert request without an Idempotency-Key")
        #expect(stored.subtracting(keys).isEmpty, "stored, never received: \(stored.subtracting(keys))")
        #expect(Set(keys).subtracting(stored).isEmpty, "received, not stored: \(Set(keys).subtracting(stored))")
        // A duplicate is the same alert under the same key.
        for request in requests {
            let json = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
            #expect(json?["id"] as? String == request.header("Idempotency-Key"))
        }
        // Each killed request went out again under its key, and was taken.
        for key in held { #expect(keys.count { $0 == key } >= 2, "\(key) held at a kill, not sent again") }
        #expect(try f.store().alerts().allSatisfy { $0.delivery == "delivered" })
        for request in receiver.requests {
            let timestamp = request.header("X-Picket-Timestamp") ?? ""
            let code = HMAC<SHA256>.authenticationCode(
                for: Array("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Array(f.secret.utf8)))
            #expect(request.header("X-Picket-Signature") == "v1=" + code.map { String(format: "%02x", $0) }.joined())
        }
    }
}
