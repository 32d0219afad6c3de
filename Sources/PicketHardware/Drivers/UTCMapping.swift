import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Maps CLOCK_MONOTONIC nanoseconds (the kernel's GPIO event timestamps
/// since Linux 5.7, and the drivers' read times) to UTC.
///
/// The offset between CLOCK_REALTIME and CLOCK_MONOTONIC is sampled (the
/// tightest of a few bracketing reads) and refreshed by `refresh()`, so NTP
/// or GPS slewing the wall clock is followed. A step of the wall clock
/// (a fix after a cold boot without RTC, an operator's `date -s`) changes
/// the offset; a step backwards must not make an event's UTC time earlier
/// than one already handed out in this run, so mapped times never decrease.
public final class UTCMapping: Sendable {
    private struct State {
        var offset: Int64
        var lastMapped: Int64
    }

    private let state: Mutex<State>

    public init() {
        state = Mutex(State(offset: Self.sampleOffset(), lastMapped: .min))
    }

    /// Re-samples the wall clock's offset; call it every few seconds.
    public func refresh() {
        let offset = Self.sampleOffset()
        state.withLock { $0.offset = offset }
    }

    /// UTC nanoseconds of a CLOCK_MONOTONIC time; never earlier than a time
    /// this mapping returned before.
    public func utc(monotonic: Int64) -> Int64 {
        state.withLock { s in
            let mapped = max(monotonic &+ s.offset, s.lastMapped)
            s.lastMapped = mapped
            return mapped
        }
    }

    /// UTC nanoseconds of a CLOCK_MONOTONIC time under the current offset,
    /// without the floor: for a caller that keeps a floor of its own.
    public func unclamped(monotonic: Int64) -> Int64 {
        monotonic &+ state.withLock { $0.offset }
    }

    /// UTC now, through the same mapping as event timestamps.
    public func now() -> Int64 { utc(monotonic: Self.monotonicNow()) }

    public static func monotonicNow() -> Int64 { read(CLOCK_MONOTONIC) }

    public static func realtimeNow() -> Int64 { read(CLOCK_REALTIME) }

    static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// REALTIME - MONOTONIC, from the tightest of three bracketing reads.
    static func sampleOffset() -> Int64 {
        var best: (width: Int64, offset: Int64) = (.max, 0)
        for _ in 0..<3 {
            let before = read(CLOCK_MONOTONIC)
            let real = read(CLOCK_REALTIME)
            let after = read(CLOCK_MONOTONIC)
            let width = after - before
            if width < best.width { best = (width, real - (before + width / 2)) }
        }
        return best.offset
    }
}
