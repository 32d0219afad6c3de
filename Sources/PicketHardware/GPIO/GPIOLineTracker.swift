/// What the GPIO driver knows of one line between the kernel and the hub:
/// the physical level of the last edge it handed on, the line's latest
/// time, and whether a kernel overflow may have cost it edges.
///
/// Recordings and the debouncer work on the level on the wire, so an
/// active-low line's logical kernel events are turned back into physical
/// edges here; the debouncer applies `active: low` itself, the same in a
/// replay as live.
public struct GPIOLineTracker: Sendable, Equatable {
    public let activeLow: Bool
    /// The physical level of the last edge handed on; starts at the inactive
    /// level, where the debouncer starts.
    public private(set) var levelHigh: Bool
    /// The latest time handed on: a line's times never go backwards, even
    /// when the wall clock is stepped back under the mapping.
    public private(set) var lastT: Int64 = .min
    /// A full batch was read: the kernel (16 events per line, newest dropped
    /// on overflow) may have lost edges, so the level is checked once the
    /// queue is drained.
    public var resyncDue = false

    public init(activeLow: Bool) {
        self.activeLow = activeLow
        levelHigh = activeLow
    }

    /// The physical edge to offer for a kernel event mapped to `utc`.
    public mutating func edge(_ event: GPIOKernelEvent, utc: Int64) -> (rising: Bool, t: Int64) {
        let rising = event.rising != activeLow
        levelHigh = rising
        lastT = max(lastT, utc)
        return (rising, lastT)
    }

    /// The line's logical value read at `utc` (after a drained overflow, or
    /// when the line was just requested): a synthetic edge when it disagrees
    /// with the last edge handed on, so the debouncer converges on the truth.
    public mutating func sync(logicalValue: Bool, utc: Int64) -> (rising: Bool, t: Int64)? {
        resyncDue = false
        guard (logicalValue != activeLow) != levelHigh else { return nil }
        return edge(GPIOKernelEvent(timestampNs: 0, rising: logicalValue), utc: utc)
    }
}

extension UTCMapping {
    /// UTC nanoseconds of a v1 line event's timestamp, which is CLOCK_MONOTONIC
    /// on kernels from 5.7 and CLOCK_REALTIME before: whichever clock `ts` is
    /// nearer to now is the one it was read from (the two are decades apart).
    /// Not clamped: each line keeps its own floor (`GPIOLineTracker`), so a
    /// slow read on one source does not push another's times forward.
    public func utc(kernelTimestamp ts: Int64, monotonicNow: Int64, realtimeNow: Int64) -> Int64 {
        (ts &- realtimeNow).magnitude < (ts &- monotonicNow).magnitude ? ts : unclamped(monotonic: ts)
    }
}
