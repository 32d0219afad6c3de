import Foundation
import Glibc
import Synchronization

/// A Unix datagram socket standing in for systemd's `NOTIFY_SOCKET`: it
/// collects what a `picket run` or `picket sector` process sends, with the
/// time each message arrived.
public final class NotifySocket: Sendable {
    public let path: String
    private let fd: Int32
    private let received = Mutex<[(at: ContinuousClock.Instant, text: String)]>([])
    private let stopped = Atomic<Bool>(false)

    public init(in dir: URL) throws {
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

    deinit {
        stopped.store(true, ordering: .relaxed)
    }

    public func close() {
        stopped.store(true, ordering: .relaxed)
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                received.withLock { $0.append((ContinuousClock.now, text)) }
            }
        }
        Glibc.close(fd)
    }

    public var messages: [(at: ContinuousClock.Instant, text: String)] { received.withLock { $0 } }
    public func count(_ text: String) -> Int { messages.count { $0.text.contains(text) } }
}
