import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who holds a serial port, for the "busy: held by ..." detail: the
/// process with a `flock` on the device node (`/proc/locks`), else a
/// process with the device open (`/proc/PID/fd`), as far as this process
/// may look (a sandboxed service sees only its own user's processes).
enum PortHolders {
    /// "picket (pid 812)", "gpsd (pid 455), agetty (pid 612)", or "another
    /// process" when none can be seen. `excluding` is this process's own
    /// descriptor on the device, which is not a holder.
    static func describe(path: String, excluding ownFD: Int32?) -> String {
        var device = stat()
        guard stat(path, &device) == 0 else { return "another process" }
        var pids = lockHolders(of: device)
        if pids.isEmpty { pids = openers(of: device, excluding: ownFD) }
        guard !pids.isEmpty else { return "another process" }
        return pids.prefix(3).map { "\(name(of: $0)) (pid \($0))" }.joined(separator: ", ")
    }

    /// Processes holding a `flock` on the device node `device` (its
    /// filesystem and inode, as `/proc/locks` lists them).
    static func lockHolders(of device: stat) -> [Int32] {
        guard let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return [] }
        return lockHolders(in: text, device: device.st_dev, inode: UInt64(device.st_ino))
    }

    /// The FLOCK holders in `/proc/locks` text, whose lines read
    /// `3: FLOCK  ADVISORY  WRITE 8344 fe:00:16221026 0 EOF` (the device's
    /// major and minor in hex, the inode in decimal); waiters (`->`) are
    /// not holders.
    static func lockHolders(in text: String, device: dev_t, inode: UInt64) -> [Int32] {
        let key = String(format: "%02x:%02x:%llu", major(device), minor(device), inode)
        var pids: [Int32] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == key, let pid = Int32(fields[4]), pid > 0
            else { continue }
            if !pids.contains(pid) { pids.append(pid) }
        }
        return pids
    }

    /// Processes with a descriptor on the character device `device`.
    static func openers(of device: stat, excluding ownFD: Int32?) -> [Int32] {
        let me = getpid()
        let files = FileManager.default
        guard let entries = try? files.contentsOfDirectory(atPath: "/proc") else { return [] }
        var pids: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry), let fds = try? files.contentsOfDirectory(atPath: "/proc/\(entry)/fd")
            else { continue }
            for fd in fds {
                if pid == me, let ownFD, Int32(fd) == ownFD { continue }
                var target = stat()
                guard stat("/proc/\(entry)/fd/\(fd)", &target) == 0 else { continue }
                if target.st_mode & S_IFMT == S_IFCHR && target.st_rdev == device.st_rdev {
                    pids.append(pid)
                    break
                }
            }
        }
        return pids.sorted()
    }

    /// The process's command name (`/proc/PID/comm`), "pid N" when unknown.
    static func name(of pid: Int32) -> String {
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
        let trimmed = comm.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "a process" : trimmed
    }

    /// Linux's `major()` and `minor()` of a `dev_t` (macros Swift does not import).
    static func major(_ dev: dev_t) -> UInt32 {
        UInt32(truncatingIfNeeded: ((UInt64(dev) >> 8) & 0xfff) | ((UInt64(dev) >> 32) & ~UInt64(0xfff)))
    }

    static func minor(_ dev: dev_t) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(dev) & 0xff) | ((UInt64(dev) >> 12) & ~UInt64(0xff)))
    }
}
