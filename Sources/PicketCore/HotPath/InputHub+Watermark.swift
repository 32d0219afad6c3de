import Synchronization

/// Per-source watermarks: each driver says up to when it has delivered
/// everything, so the live hot path releases an event as soon as no source
/// can still hand over anything older, instead of after a fixed hold.
///
/// A source's mark is one atomic word, written by its driver only:
/// - `Int64.min`: unknown (never said, or something is held back): the
///   hot path falls back to its fixed hold for this source.
/// - a time (UTC ns, the drivers' stamps): every input stamped up to it
///   has been offered (`delivered(_:through:)`).
/// - negative: the driver is blocked waiting (`waiting(_:lagNs:)`): what it
///   hands over next is stamped no earlier than the moment it wakes, less
///   the lag (`-1 - value`): 0 for a serial port (a read is stamped when it
///   returns), a little for GPIO (the kernel stamps the edge itself).
extension InputHub {
    /// Driver side: every input of `source` stamped up to `t` has been offered.
    public func delivered(_ source: Source, through t: Int64) {
        slots[index(source)].mark.store(max(0, t), ordering: .sequentiallyConsistent)
    }

    /// Driver side: the source is about to wait for its hardware; what it
    /// offers next is stamped no earlier than `lagNs` before it wakes.
    public func waiting(_ source: Source, lagNs: Int64 = 0) {
        slots[index(source)].mark.store(-1 - max(0, lagNs), ordering: .sequentiallyConsistent)
    }

    /// Driver side: the source cannot say (something is held back).
    public func markUnknown(_ source: Source) {
        slots[index(source)].mark.store(.min, ordering: .sequentiallyConsistent)
    }

    /// Consumer side: the earliest watermark over all sources at `now`
    /// (read the time first, then call this, then drain the rings: only
    /// what a drain emptied is covered), or nil when a source has none.
    /// With no source at all, `now`.
    public func watermark(now: Int64) -> Int64? {
        var low = now
        for slot in slots {
            let mark = slot.mark.load(ordering: .sequentiallyConsistent)
            if mark == .min { return nil }
            low = min(low, mark >= 0 ? mark : now &- (-1 &- mark))
        }
        return low
    }
}
