#if canImport(Glibc)
    import Glibc
#endif

/// The two kernel clocks the daemon's time comes from: CLOCK_MONOTONIC,
/// which never steps, and CLOCK_REALTIME, the wall clock that NTP, a GPS or
/// an operator may step. Behind a protocol so a test can step the wall
/// clock under a running pipeline.
public protocol ClockSource: Sendable {
    func monotonic() -> Int64
    func realtime() -> Int64
}

/// The kernel's clocks.
public struct SystemClockSource: ClockSource {
    public init() {}
    public func monotonic() -> Int64 { UTCMapping.read(CLOCK_MONOTONIC) }
    public func realtime() -> Int64 { UTCMapping.read(CLOCK_REALTIME) }
}
