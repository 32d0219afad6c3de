import Crypto
import Foundation
import Glibc
import PicketTestSupport
import Testing

/// The daemon killed with SIGKILL at random moments while it delivers, and
/// restarted each time: no alert is lost, and none reaches the receiver
/// under two keys. Duplicates of one key are allowed (at least once).
@Suite struct CrashSafetyTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("picket")
    }
    static let simulateConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Config/picket.simulate.yaml")

    @Test func sigkillWhileDeliveringLosesNoAlert() async throws {
        let f = try Fixture()
        // Slow answers, so a kill often lands while a request is in flight.
        let receiver = try TestReceiver { _, _ in .init(delay: .milliseconds(150)) }
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

        // The kit's first alerts come some seconds into a run: each run lasts
        // long enough to raise and send some, and is killed at a random moment.
        var random = SystemRandomNumberGenerator()
        for run in 0..<5 {
            let child = try ChildProcess(
                Self.binary, ["run", "--simulate", "--config", live, "--db", f.db],
                log: f.dir.appendingPathComponent("run-\(run).log"))
            try await child.waitForLog("picket running")
            try await Task.sleep(for: .milliseconds(Int.random(in: 4_000...7_000, using: &random)))
            kill(child.process.processIdentifier, SIGKILL)
            try await child.waitForExit()
            #expect(child.process.terminationReason == .uncaughtSignal)
        }
        let stored = try f.store().alerts().map(\.alert.id)
        #expect(!stored.isEmpty, "the simulated kit raised no alert in 5 runs")

        let child = try ChildProcess(
            Self.binary, ["run", "--simulate", "--config", drain, "--db", f.db],
            log: f.dir.appendingPathComponent("drain.log"))
        try await child.waitForLog("picket running")
        try await eventually("the backlog delivered", timeout: .seconds(60)) {
            try f.store().deliveries(states: [.pending, .inFlight]).isEmpty
        }
        #expect(try await child.stop() == 0, "\(child.stderr)")

        let alerts = Set(try f.store().alerts().map(\.alert.id))
        #expect(alerts.isSuperset(of: stored))
        // The box's statuses go to /status beside them.
        let alertKeys = Set(
            receiver.requests.filter { $0.uri == "/alerts" }.compactMap { $0.header("Idempotency-Key") })
        print("crash safety: \(alerts.count) alerts, \(receiver.requests.count) requests, 5 SIGKILLs")
        #expect(alertKeys == alerts)
        #expect(try f.store().alerts().allSatisfy { $0.delivery == "delivered" })
        for request in receiver.requests {
            let timestamp = request.header("X-Picket-Timestamp") ?? ""
            let code = HMAC<SHA256>.authenticationCode(
                for: Array("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Array(f.secret.utf8)))
            #expect(request.header("X-Picket-Signature") == "v1=" + code.map { String(format: "%02x", $0) }.joined())
        }
    }
}
