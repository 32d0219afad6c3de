import AsyncHTTPClient
import Foundation
import Glibc
import PicketTestSupport
import Synchronization
import Testing

/// `picket sector` under a test-made `NOTIFY_SOCKET`, as systemd runs it
/// with `Type=notify`: READY=1 once it listens, and not before.
@Suite struct SectorReadinessTests {
    /// A Unix datagram socket collecting what the process sends.
    final class NotifySocket: Sendable {
        let path: String
        private let fd: Int32
        private let received = Mutex<[String]>([])
        private let stopped = Atomic<Bool>(false)

        init(in dir: URL) throws {
            path = dir.appendingPathComponent("notify.sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { for (i, b) in bytes.enumerated() { $0[i] = b } }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
            Thread { [self] in receive() }.start()
        }

        func close() { stopped.store(true, ordering: .relaxed) }

        private func receive() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.load(ordering: .relaxed) {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) > 0 else { continue }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { received.withLock { $0.append(String(decoding: buffer[0..<n], as: UTF8.self)) } }
            }
            Glibc.close(fd)
        }

        var messages: [String] { received.withLock { $0 } }
    }

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
        try await eventually("READY=1") { socket.messages.contains { $0.contains("READY=1") } }
        // Ready means listening: the address is logged and answers at once.
        let line = try #require(child.stderr.split(separator: "\n").first { $0.contains("sector listening") })
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("address=") })
            .dropFirst("address=".count)
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://\(address)/healthz"), timeout: .seconds(30))
        #expect(response.status.code == 200)
        #expect(socket.messages.first { $0.contains("READY=1") }?.contains("STATUS=sector test listening") == true)
        #expect(try await child.stop() == 0, "\(child.stderr)")
    }
}
