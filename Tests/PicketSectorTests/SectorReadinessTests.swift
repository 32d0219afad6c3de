import AsyncHTTPClient
import Foundation
import Glibc
import PicketTestSupport
import Synchronization
import Testing

/// `picket sector` under a test-made `NOTIFY_SOCKET`, as systemd runs it
/// with `Type=notify`: READY=1 once it listens, and not before.
@Suite struct SectorReadinessTests {
    @Test func readyOnceListening() async throws {
        let dir = try temporaryDirectory("sector-notify")
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = try NotifySocket(in: dir)
        defer { socket.close() }
        let config = dir.appendingPathComponent("sector.yaml").path
        try "sector: test\nlisten: 127.0.0.1:0\ndatabase: {path: \(dir.appendingPathComponent("s.db").path)}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket.path
        let child = try ChildProcess(
            SectorProcessTests.binary, ["sector", "--config", config], log: dir.appendingPathComponent("log"),
            environment: environment)
        try await eventually("READY=1") { socket.count("READY=1") >= 1 }
        // Ready means listening: the address is logged and answers at once.
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: try SectorProcessTests.base(of: child) + "/healthz"), timeout: .seconds(30))
        #expect(response.status.code == 200)
        #expect(
            socket.messages.first { $0.text.contains("READY=1") }?.text.contains("STATUS=sector test listening") == true
        )
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
