import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

/// The delivery side of the command line, through the real binary.
@Suite struct DeliveryCLITests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("picket")
    }

    static func picket(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess(binary, arguments)
    }

    /// `--dead` shows the refusal, `--retry ID` puts it back, `--pending` then lists it.
    @Test func deadLettersAreListedAndRetried() async throws {
        let f = try Fixture()
        let alert = f.alert(1)
        try f.seed([alert])
        try f.store().markInFlight(alert.id, now: 1)
        try f.store().markDead(alert.id, status: 422, response: "{\"error\":\"unknown zone\"}")

        let dead = try await Self.picket(["alerts", "--dead", "--db", f.db])
        #expect(dead.status == 0, "\(dead.err)")
        #expect(dead.out.contains("dead"))
        #expect(dead.out.contains("422"))
        #expect(dead.out.contains("{\"error\":\"unknown zone\"}"))
        let json = try await Self.picket(["alerts", "--dead", "--json", "--db", f.db])
        #expect(json.out.contains("\"delivery\":\"dead\""))
        #expect(json.out.contains("\"attempts\":1"), "\(json.out)")
        #expect(json.out.contains("\"last_status\":422"), "\(json.out)")
        #expect(json.out.contains("\"last_response\":\"{\\\"error\\\":\\\"unknown zone\\\"}\""), "\(json.out)")

        let retry = try await Self.picket(["alerts", "--retry", alert.id, "--db", f.db])
        #expect(retry.status == 0, "\(retry.err)")
        #expect(try await Self.picket(["alerts", "--dead", "--json", "--db", f.db]).out.isEmpty)
        #expect(try await Self.picket(["alerts", "--pending", "--json", "--db", f.db]).out.contains(alert.id))

        let again = try await Self.picket(["alerts", "--retry", alert.id, "--db", f.db])
        #expect(again.status == 65)
        #expect(again.err.contains("no dead delivery of \(alert.id)"))
    }

    /// `--retry` takes a unique prefix of an id (as the ID column shows it);
    /// an ambiguous one is a usage error listing the candidates; `--all-dead`
    /// revives every dead delivery. PRODUCT.md section 8.
    @Test func retryTakesAUniquePrefixOrAllDead() async throws {
        let f = try Fixture()
        let alerts = [f.alert(1), f.alert(12), f.alert(13), f.alert(2)]
        try f.seed(alerts)
        for alert in alerts {
            try f.store().markInFlight(alert.id, now: 1)
            try f.store().markDead(alert.id, status: 422, response: "no")
        }
        let table = try await Self.picket(["alerts", "--db", f.db])
        #expect(table.out.split(separator: "\n").first?.hasPrefix("ID ") == true, "\(table.out)")
        #expect(table.out.contains("\nalert-12 "), "\(table.out)")

        let exact = try await Self.picket(["alerts", "--retry", "alert-1", "--db", f.db])
        // alert-1 is an id itself: the exact id wins over the longer ones it starts.
        #expect(exact.status == 0, "\(exact.err)")
        let two = try await Self.picket(["alerts", "--retry", "alert-", "--db", f.db])
        #expect(two.status == 64, "\(two.err)")
        #expect(two.err.contains("ambiguous"), "\(two.err)")
        for id in ["alert-12", "alert-13", "alert-2"] { #expect(two.err.contains("  \(id)"), "\(two.err)") }

        let prefix = try await Self.picket(["alerts", "--retry", "alert-2", "--db", f.db])
        #expect(prefix.status == 0, "\(prefix.err)")
        #expect(prefix.out.contains("alert-2: 1 delivery"), "\(prefix.out)")
        let unique = try await Self.picket(["alerts", "--retry", "alert-13", "--db", f.db])
        #expect(unique.status == 0, "\(unique.err)")
        let dead = try await Self.picket(["alerts", "--dead", "--json", "--db", f.db])
        #expect(dead.out.split(separator: "\n").count == 1 && dead.out.contains("alert-12"), "\(dead.out)")

        let both = try await Self.picket(["alerts", "--retry", "alert-12", "--all-dead", "--db", f.db])
        #expect(both.status == 64)
        let all = try await Self.picket(["alerts", "--all-dead", "--db", f.db])
        #expect(all.status == 0, "\(all.err)")
        #expect(all.out.contains("1 dead delivery(ies) back in the queue"), "\(all.out)")
        #expect(try await Self.picket(["alerts", "--dead", "--json", "--db", f.db]).out.isEmpty)
        let pending = try await Self.picket(["alerts", "--pending", "--json", "--db", f.db])
        #expect(pending.out.split(separator: "\n").count == 4, "\(pending.out)")
        let none = try await Self.picket(["alerts", "--all-dead", "--db", f.db])
        #expect(none.status == 0 && none.out.contains("no dead deliveries"), "\(none.out)")
    }

    /// A text held back (quiet hours, the hourly cap) is waiting too:
    /// `--pending` lists it with its subscriber, `--dead` does not.
    @Test func heldTextsAreListedAsPending() async throws {
        let f = try Fixture()
        let alert = f.alert(1)
        var batch = StoreBatch(alerts: [alert])
        batch.hotlineMatches = [("North farm", alert.id)]
        try f.store().write(batch, run: "test", now: alert.firstTs)

        let pending = try await Self.picket(["alerts", "--pending", "--db", f.db])
        #expect(pending.status == 0, "\(pending.err)")
        let row = pending.out.split(separator: "\n").first { $0.hasPrefix(alert.id + " ") }
        #expect(row?.contains("sms:North farm") == true, "\(pending.out)")
        #expect(row?.contains(" held ") == true, "\(pending.out)")
        #expect(row?.contains("quiet hours or the hourly cap") == true, "\(pending.out)")
        #expect(try await Self.picket(["alerts", "--dead", "--db", f.db]).out.contains("sms:") == false)
    }

    /// A world-readable secret stops `picket run` before it starts: exit 78, naming file and key.
    @Test func aWorldReadableSecretStopsTheDaemon() async throws {
        let f = try Fixture()
        chmod(f.secretPath, 0o644)
        let config = f.dir.appendingPathComponent("picket.yaml").path
        let kit = try String(
            contentsOf: CrashSafetyTests.simulateConfig, encoding: .utf8)
        try (kit + "\nforward: {url: http://127.0.0.1:9/alerts, secret_file: \(f.secretPath)}\n").write(
            toFile: config, atomically: true, encoding: .utf8)
        let run = try await Self.picket(["run", "--simulate", "--config", config, "--db", f.db])
        #expect(run.status == 78)
        #expect(run.err.contains("\(f.secretPath) (forward.secret_file): is readable by every user"))
    }
}
