#if canImport(Glibc)
    import Glibc
#endif

/// The wall clock as UTC nanoseconds, the time base of live events.
public enum SystemClock {
    public static func utcNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
