import PicketCore
import Synchronization

/// The daemon's clock: CLOCK_MONOTONIC nanoseconds (the kernel's GPIO event
/// timestamps since Linux 5.7, the drivers' read times) on a UTC scale.
///
/// Two timelines come out of it. The processing time (`now()`,
/// `utc(monotonic:)`), which every input is stamped with and on which
/// debounce, hold-offs, rule windows and timeouts run, is the monotonic
/// clock plus an offset that follows the wall clock's slewing (NTP, chrony,
/// a GPS refclock) but not its steps: it never jumps, never freezes, never
/// goes back. The wall time (`wall(_:)`) adds the steps seen since start
/// (`stepNs`), and is what a stored event carries: a box that booted with a
/// stale clock (a Pi has no RTC) and is stepped by NTP an hour later stores
/// events at the corrected time while its windows keep running.
///
/// The offset is sampled (the tightest of a few bracketing reads) at
/// `refresh()`, every few seconds: a change larger than `stepThresholdNs`
/// between two samples is a step, anything smaller is followed.
///
/// As a `PicketClock` it is the daemon's one clock: its wall time is
/// `wall(now())`, its monotonic time and its sleeps are its source's.
public final class UTCMapping: PicketClock {
    private struct State {
        var offset: Int64
        var lastMapped: Int64
        var stepNs: Int64 = 0
    }

    private let state: Mutex<State>
    /// The kernel's clocks, or a `ManualClock` in a test.
    public let source: any PicketClock
    /// A larger change of the wall clock's offset between two refreshes is
    /// a step. Slewing moves it by at most 0.5 ms a second (ntpd) or about
    /// 83 ms a second (chrony's default maximum): well under a second.
    public let stepThresholdNs: Int64

    public init(source: any PicketClock = SystemClock(), stepThresholdNs: Int64 = 1_000_000_000) {
        self.source = source
        self.stepThresholdNs = stepThresholdNs
        state = Mutex(State(offset: Self.sampleOffset(source), lastMapped: .min))
    }

    /// Re-samples the wall clock's offset; call it every few seconds.
    /// Returns the step it found (wall clock minus what the processing time
    /// expected, positive: stepped forward), nil when the wall clock only slewed.
    @discardableResult
    public func refresh() -> Int64? {
        let offset = Self.sampleOffset(source)
        return state.withLock { s in
            let change = offset &- s.offset
            guard change.magnitude > stepThresholdNs.magnitude else {
                s.offset = offset
                return nil
            }
            s.stepNs &+= change
            return change
        }
    }

    /// What the wall clock's steps since start add to the processing time.
    public var stepNs: Int64 { state.withLock { $0.stepNs } }

    /// The wall-clock UTC time of a processing time.
    public func wall(_ t: Int64) -> Int64 { t &+ stepNs }

    /// Processing time (UTC scale) of a CLOCK_MONOTONIC time; never earlier
    /// than a time this mapping returned before.
    public func utc(monotonic: Int64) -> Int64 {
        state.withLock { s in
            let mapped = max(monotonic &+ s.offset, s.lastMapped)
            s.lastMapped = mapped
            return mapped
        }
    }

    /// Processing time of a CLOCK_MONOTONIC time under the current offset,
    /// without the floor: for a caller that keeps a floor of its own.
    public func unclamped(monotonic: Int64) -> Int64 {
        monotonic &+ state.withLock { $0.offset }
    }

    /// Processing time now, through the same mapping as event timestamps.
    public func now() -> Int64 { utc(monotonic: source.monotonicNs()) }

    /// The wall-clock time now: the processing time plus the steps seen.
    public func wallNs() -> Int64 { wall(now()) }

    public func monotonicNs() -> Int64 { source.monotonicNs() }

    /// The source's own wall clock, steps not yet seen included (what the
    /// kernel stamps a GPIO event with when it uses CLOCK_REALTIME).
    public func realtimeNs() -> Int64 { source.wallNs() }

    public func sleep(untilMonotonic deadline: Int64) async throws {
        try await source.sleep(untilMonotonic: deadline)
    }

    /// REALTIME - MONOTONIC, from the tightest of three bracketing reads.
    static func sampleOffset(_ source: any PicketClock) -> Int64 {
        var best: (width: Int64, offset: Int64) = (.max, 0)
        for _ in 0..<3 {
            let before = source.monotonicNs()
            let real = source.wallNs()
            let after = source.monotonicNs()
            let width = after - before
            if width < best.width { best = (width, real - (before + width / 2)) }
        }
        return best.offset
    }
}
