import PicketCore

/// The system clock's last measured offset from GPS time, beside the fix in
/// the `box` table.
extension Store {
    func storeClockOffset(_ clock: ClockOffset) throws {
        let s = try database.statement(
            "INSERT INTO box (key, value) VALUES ('clock', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        s.reset()
        s.bind(1, "\(clock.offsetNs),\(clock.ts)")
        try s.run()
    }

    /// The last offset stored (by a live run or a replay); nil when no RMC
    /// with a date and time was seen.
    public func clockOffset() throws(StoreError) -> ClockOffset? {
        try wrap {
            let s = try database.statement("SELECT value FROM box WHERE key = 'clock'")
            defer { s.reset() }
            guard try s.step() else { return nil }
            let parts = s.string(0).split(separator: ",")
            guard parts.count == 2, let offset = Int64(parts[0]), let ts = Int64(parts[1]) else { return nil }
            return ClockOffset(offsetNs: offset, ts: ts)
        }
    }
}
