import Glibc
import PicketHardware

/// A pseudo-terminal pair standing in for a USB serial adapter: the driver
/// opens the slave path as its port, the test writes to the master, and
/// closing the master hangs the slave up the way unplugging does.
public final class PseudoTerminal {
    public let master: Int32
    public let slavePath: String
    private var open = true

    public init() throws {
        let fd = try SystemCall.retrying("posix_openpt", "/dev/ptmx") {
            LibC.posixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        }
        do {
            _ = try SystemCall.retrying("grantpt", "/dev/ptmx") { LibC.grantpt(fd) }
            _ = try SystemCall.retrying("unlockpt", "/dev/ptmx") { LibC.unlockpt(fd) }
            var name = [CChar](repeating: 0, count: 128)
            let failed = LibC.ptsnameR(fd, &name, name.count)
            guard failed == 0 else { throw SystemError(call: "ptsname_r", subject: "/dev/ptmx", errno: failed) }
            // Nonblocking, so a write the driver never drains fails the test instead of hanging it.
            let flags = try SystemCall.retrying("fcntl", "/dev/ptmx") { fcntl(fd, F_GETFL) }
            _ = try SystemCall.retrying("fcntl", "/dev/ptmx") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
            slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } catch {
            Glibc.close(fd)
            throw error
        }
        master = fd
    }

    deinit { close() }

    /// Writes all of `bytes` to the master, waiting while the pty's buffer is full.
    public func write(_ bytes: [UInt8], timeout: Duration = .seconds(10)) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(master, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                    continue
                }
                let e = errno
                guard n < 0, e == EAGAIN || e == EINTR else {
                    throw SystemError(call: "write", subject: slavePath, errno: e)
                }
                guard clock.now < deadline else {
                    throw SystemError(call: "write", subject: slavePath, errno: ETIMEDOUT)
                }
                var fd = pollfd(fd: master, events: Int16(POLLOUT), revents: 0)
                _ = poll(&fd, 1, 50)
            }
        }
    }

    /// Writes one byte per system call, so each may reach the driver in a read of its own.
    public func writeByteByByte(_ bytes: [UInt8]) throws {
        for byte in bytes { try write([byte]) }
    }

    /// Closes the master: the slave hangs up (the adapter is "unplugged").
    public func close() {
        guard open else { return }
        open = false
        Glibc.close(master)
    }

    /// Unplugs the adapter the way the kernel and udev do: the by-id link
    /// goes away, then the device hangs up. Removing the link first matters
    /// in tests: the pts number is soon reused by another test's pty, and a
    /// stale link would lead the driver to a stranger's device.
    public func unplug(link: String) throws {
        _ = try SystemCall.retrying("unlink", link) { unlink(link) }
        close()
    }

    /// Points `link` at `target`, replacing an old link atomically (as udev
    /// re-makes `/dev/serial/by-id` links).
    public static func pointLink(_ link: String, to target: String) throws {
        let temporary = link + ".new"
        _ = try SystemCall.retrying("symlink", temporary) { symlink(target, temporary) }
        _ = try SystemCall.retrying("rename", link) { rename(temporary, link) }
    }
}

/// Glibc's Swift module is built without `_XOPEN_SOURCE`, which hides the
/// pty functions; look the real ones up in the C library instead.
private enum LibC {
    typealias DescriptorCall = @convention(c) (Int32) -> Int32
    typealias PtsnameR = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32

    static func function<F>(_ name: String, as type: F.Type) -> F {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { fatalError("\(name) not in the C library") }
        return unsafeBitCast(symbol, to: type)
    }

    static let posixOpenpt = function("posix_openpt", as: DescriptorCall.self)
    static let grantpt = function("grantpt", as: DescriptorCall.self)
    static let unlockpt = function("unlockpt", as: DescriptorCall.self)
    static let ptsnameR = function("ptsname_r", as: PtsnameR.self)
}
