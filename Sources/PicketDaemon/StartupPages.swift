import Foundation
import Logging
import PicketCore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Hands the kernel back the pages of the executable that only starting
/// took: reading the configuration, parsing the command line, opening and
/// migrating the database, starting the services. `picket` is one static
/// executable for the box and the sector (Hummingbird, postgres-nio), and
/// the kernel maps a file's pages in blocks of 64 KiB around each one
/// touched, so a start leaves some 20 MiB of the executable resident of
/// which an idle box then uses a few.
///
/// `MADV_PAGEOUT` (Linux 5.4) on the executable's read-only mappings asks
/// the kernel to reclaim those pages now, as it would under memory
/// pressure: nothing is lost (they are clean, read from the file again when
/// needed) and what the running daemon touches comes back at once. Called
/// once, well after start; an older kernel's `EINVAL` is ignored.
enum StartupPages {
    /// Linux's `MADV_PAGEOUT`, not exported by every Glibc module map.
    static let pageout: Int32 = 21

    /// Advises every read-only mapping of the running executable; returns
    /// the bytes advised (0 when the kernel refused or nothing matched).
    @discardableResult
    static func release() -> Int {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        else { return 0 }
        return advise(readOnlyMappings(maps, of: executable))
    }

    /// `MADV_PAGEOUT` on each range; the bytes the kernel took the advice for.
    static func advise(_ ranges: [Range<UInt64>]) -> Int {
        var advised = 0
        for range in ranges {
            let length = Int(range.upperBound - range.lowerBound)
            if madvise(UnsafeMutableRawPointer(bitPattern: UInt(range.lowerBound)), length, pageout) == 0 {
                advised += length
            }
        }
        return advised
    }

    /// The address ranges of `/proc/self/maps` lines that map `path`
    /// without write permission (text, read-only data).
    static func readOnlyMappings(_ maps: String, of path: String) -> [Range<UInt64>] {
        maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[5...].joined(separator: " ") == path,
                fields[1].count == 4, !fields[1].contains("w")
            else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
                start < end
            else { return nil }
            return start..<end
        }
    }
}

/// Runs `StartupPages.release()` once, `after` the daemon started (one
/// timer in the daemon's life), then waits for the shutdown.
struct StartupPagesService: Service {
    static let defaultAfterNs: Int64 = 20_000_000_000

    let clock: any PicketClock
    let afterNs: Int64
    let logger: Logger

    func run() async throws {
        let waited: Void? = try? await cancelWhenGracefulShutdown { try await clock.sleep(forNs: afterNs) }
        if waited != nil, !Task.isCancelled {
            // On a thread of its own: the kernel's work is proportional to what is resident (milliseconds
            // for the release binary, longer for a debug build) and must not hold a thread of the pool.
            let bytes = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
                Thread.detachNewThread { done.resume(returning: StartupPages.release()) }
            }
            logger.debug("start-up pages handed back to the kernel", metadata: ["mib": "\(bytes >> 20)"])
        }
        try? await gracefulShutdown()
    }
}
