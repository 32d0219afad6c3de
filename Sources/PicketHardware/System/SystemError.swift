#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, on what, and errno, so the message a
/// technician reads names the device and the reason.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed (`open`, `tcsetattr`, `gpiod_chip_open_by_name`...).
    public var call: String
    /// What it was called on (`/dev/ttyUSB0`, `gpiochip0 line 17`).
    public var subject: String
    public var errno: Int32

    public init(call: String, subject: String, errno: Int32) {
        self.call = call
        self.subject = subject
        self.errno = errno
    }

    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(subject): \(call) failed: \(reason) (errno \(errno))" }

    /// The device is gone or not there (unplugged, wrong path, no such chip).
    public var isMissing: Bool { errno == ENOENT || errno == ENODEV || errno == ENXIO }
    /// Someone else holds it (a line requested by another process).
    public var isBusy: Bool { errno == EBUSY }
}

/// System calls wrapped once: retried on EINTR, errno turned into a
/// `SystemError` (SwiftNIO's `SystemCallHelpers` pattern).
public enum SystemCall {
    /// Runs `body` until it does not fail with EINTR; a result of -1 throws.
    @inline(__always)
    public static func retrying<T: BinaryInteger>(_ call: String, _ subject: @autoclosure () -> String, _ body: () -> T)
        throws(SystemError) -> T
    {
        while true {
            let result = body()
            if result == -1 {
                let e = Glibc.errno
                if e == EINTR { continue }
                throw SystemError(call: call, subject: subject(), errno: e)
            }
            return result
        }
    }

    /// Like `retrying` for calls that return a pointer (nil with errno on failure).
    @inline(__always)
    public static func retrying<T>(_ call: String, _ subject: @autoclosure () -> String, _ body: () -> T?)
        throws(SystemError) -> T
    {
        while true {
            if let result = body() { return result }
            let e = Glibc.errno
            if e == EINTR { continue }
            throw SystemError(call: call, subject: subject(), errno: e)
        }
    }
}
