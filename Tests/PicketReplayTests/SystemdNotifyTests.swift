import Foundation
import Glibc
import PicketTestSupport
import Synchronization
import Testing

/// `picket run` under a test-made `NOTIFY_SOCKET`, as systemd runs it with
/// `Type=notify` and `WatchdogSec=`: READY once started, watchdog pings only
/// while the hot path makes progress, STOPPING on SIGTERM.
@Suite struct SystemdNotifyTests {
    func start(
        _ dir: URL, _ socket: NotifySocket, watchdogUsec: Int = 1_000_000, extra: [String: String] = [:]
    ) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket.path
        environment["WATCHDOG_USEC"] = "\(watchdogUsec)"
        for (k, v) in extra { environment[k] = v }
        return try ChildProcess(
            Support.binary, ["run", "--simulate", "--db", dir.appendingPathComponent("n.db").path],
            log: dir.appendingPathComponent("run.log"), environment: environment)
    }

    @Test func readyPingsAndStopping() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = try NotifySocket(in: dir)
        defer { socket.close() }
        let child = try start(dir, socket)
        try await eventually("READY=1", timeout: .seconds(20)) { socket.count("READY=1") == 1 }
        let ready = try #require(socket.messages.first { $0.text.contains("READY=1") })
        #expect(ready.text.contains("STATUS="))
        #expect(socket.messages.first?.text.contains("READY=1") == true, "nothing comes before READY")
        try await eventually("a watchdog ping", timeout: .seconds(20)) { socket.count("WATCHDOG=1") >= 1 }
        #expect(try await child.stop() == 0, "\(child.stderr)")
        try await eventually("STOPPING=1") { socket.count("STOPPING=1") == 1 }
    }

    /// WatchdogSec=4 s: the daemon promises a ping every half of it (2 s).
    /// Over 20 s after READY that is about 10 pings: at least 7 (a ping per
    /// whole period, the bug this catches, gives 5), and never a gap as long
    /// as the period, after which systemd would kill a healthy daemon (a
    /// 2 s margin for a loaded machine's scheduling).
    @Test func pingsComeEveryHalfWatchdogPeriod() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = try NotifySocket(in: dir)
        defer { socket.close() }
        let child = try start(dir, socket, watchdogUsec: 4_000_000)
        try await eventually("READY=1", timeout: .seconds(20)) { socket.count("READY=1") == 1 }
        let ready = try #require(socket.messages.first { $0.text.contains("READY=1") }).at
        let end = ready + .seconds(20)
        try await Task.sleep(until: end + .seconds(0.5))
        let pings = socket.messages.filter { $0.text.contains("WATCHDOG=1") && $0.at <= end }.map(\.at)
        #expect(pings.count >= 7, "\(pings.count) pings in 20 s with WATCHDOG_USEC=4000000")
        let marks = [ready] + pings + [end]
        let gaps = zip(marks, marks.dropFirst()).map { $1 - $0 }
        let longest = gaps.max() ?? .zero
        #expect(longest < .seconds(4), "a \(longest) gap between watchdog pings (WatchdogSec=4 s)")
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }

    /// A hot path that stops turning stops the pings, so systemd kills and
    /// restarts the daemon; the process itself still answers SIGTERM.
    @Test func aStalledHotPathStopsThePings() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = try NotifySocket(in: dir)
        defer { socket.close() }
        let child = try start(dir, socket, extra: ["PICKET_TEST_STALL_HOT_PATH_MS": "1000"])
        try await eventually("READY=1", timeout: .seconds(20)) { socket.count("READY=1") == 1 }
        let ready = try #require(socket.messages.first { $0.text.contains("READY=1") }).at
        try await eventually("a watchdog ping", timeout: .seconds(20)) { socket.count("WATCHDOG=1") >= 1 }
        // Stalled from 1 s after start; stuck 10 s later: no ping from 12.5 s on.
        try await Task.sleep(until: ready + .seconds(15))
        let late = socket.messages.filter { $0.text.contains("WATCHDOG=1") && $0.at > ready + .seconds(12.5) }
        #expect(late.isEmpty, "\(late.count) pings after the hot path stalled")
        #expect(child.stderr.contains("watchdog pings stop"))
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
