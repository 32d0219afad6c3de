import Foundation

/// Which process runs the daemon on this database. `picket report` asks, to
/// tell the operator whether a report is taken into rules now or at the next
/// start. A mark in the database, checked against the kernel's process
/// table, instead of a heartbeat row: an idle box writes nothing.
extension Store {
    /// Marks this process as the database's running daemon.
    public func markDaemonRunning() throws(StoreError) {
        try setBoxValue("daemon", Self.processMark(getpid()) ?? "\(getpid())")
    }

    /// Clears the mark at a clean stop.
    public func clearDaemonMark() throws(StoreError) {
        try wrap {
            let s = try database.statement("DELETE FROM box WHERE key = 'daemon'")
            s.reset()
            try s.run()
        }
    }

    /// Whether the process that last marked itself still runs (same pid,
    /// same start time, so a reused pid does not count).
    public func isDaemonRunning() throws(StoreError) -> Bool {
        guard let mark = try boxValue("daemon") else { return false }
        guard let pid = Int32(mark.split(separator: " ").first ?? "") else { return false }
        return Self.processMark(pid) == mark
    }

    /// `<pid> <start time in clock ticks since boot>` from /proc, or nil
    /// when no such process runs.
    static func processMark(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return "\(pid) \(fields[19])"
    }

    func boxValue(_ key: String) throws(StoreError) -> String? {
        try wrap {
            let s = try database.statement("SELECT value FROM box WHERE key = ?")
            s.reset()
            s.bind(1, key)
            defer { s.reset() }
            return try s.step() ? s.string(0) : nil
        }
    }

    func setBoxValue(_ key: String, _ value: String) throws(StoreError) {
        try wrap {
            let s = try database.statement(
                "INSERT INTO box (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            s.reset()
            s.bind(1, key)
            s.bind(2, value)
            try s.run()
        }
    }
}
