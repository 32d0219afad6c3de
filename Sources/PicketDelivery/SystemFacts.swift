import Foundation
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the box's status says about the machine: the kernel's clock
/// discipline, the process's uptime, the disk and the database's size.
/// Each answers nil where the system cannot tell.
public enum SystemFacts {
    /// Whether the kernel considers the clock synchronised (NTP, chrony, a
    /// GPS refclock): `adjtimex` without changing anything, and its
    /// `STA_UNSYNC` status bit. nil when the call fails.
    public static func clockSynced() -> Bool? {
        #if canImport(Glibc)
            // Glibc's Swift module leaves out <sys/timex.h>: the call is
            // looked up by name, on a zeroed buffer larger than struct timex
            // (`modes` 0: read only). `status` follows `modes` and four
            // longs, `modes` padded to a long.
            typealias AdjTimex = @convention(c) (UnsafeMutableRawPointer) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "adjtimex") else { return nil }
            let call = unsafeBitCast(symbol, to: AdjTimex.self)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 16)
            defer { buffer.deallocate() }
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 1024)
            let state = call(buffer)
            guard state >= 0 else { return nil }
            let status = buffer.load(fromByteOffset: 5 * MemoryLayout<Int>.size, as: Int32.self)
            // STA_UNSYNC (0x0040): not synchronised; TIME_ERROR (5) says the same.
            return status & 0x0040 == 0 && state != 5
        #else
            return nil
        #endif
    }

    /// The process started this many nanoseconds after boot, from
    /// `/proc/self/stat` (field 22, in clock ticks); nil when unreadable.
    static func processStartSinceBootNs() -> Int64? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticksPerSecond = Int64(sysconf(Int32(_SC_CLK_TCK)))
        guard fields.count > 19, let ticks = Int64(fields[19]), ticksPerSecond > 0 else { return nil }
        return ticks * 1_000_000_000 / ticksPerSecond
    }

    /// Seconds since boot (`/proc/uptime`).
    static func bootUptimeNs() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let first = text.split(separator: " ").first, let seconds = Double(first)
        else { return nil }
        return Int64(seconds * 1e9)
    }

    /// Whole seconds the process has run; since `fallbackStartNs` (a
    /// monotonic time of `clock` taken early) where /proc cannot tell.
    static func processUptimeS(fallbackStartNs: Int64, clock: any PicketClock) -> Int64 {
        if let start = processStartSinceBootNs(), let now = bootUptimeNs(), now >= start {
            return (now - start) / 1_000_000_000
        }
        return (clock.monotonicNs() - fallbackStartNs) / 1_000_000_000
    }

    /// Free megabytes (for an unprivileged user) on the file system of `path`.
    static func diskFreeMB(at path: String) -> Int64? {
        var info = statvfs()
        let directory = (path as NSString).deletingLastPathComponent
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize) / 1_048_576
    }

    /// The database's size in megabytes, its write-ahead log included.
    static func databaseMB(at path: String) -> Double? {
        var total: Int64 = 0
        var found = false
        for file in [path, path + "-wal"] {
            var info = stat()
            if stat(file, &info) == 0 {
                total += Int64(info.st_size)
                found = true
            }
        }
        return found ? (Double(total) / 1_048_576 * 100).rounded() / 100 : nil
    }
}
