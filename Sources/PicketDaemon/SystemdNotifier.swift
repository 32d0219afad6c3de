import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The sd_notify protocol: datagrams to `$NOTIFY_SOCKET`. Written here, not
/// taken from libsystemd, because it is one `sendto` of a short string and
/// a box without systemd (a test, a container) must work the same.
public final class SystemdNotifier: Sendable {
    private let socketPath: String
    private let fd: Int32
    /// Half of `$WATCHDOG_USEC` when systemd wants pings from this process.
    public let watchdogIntervalNs: Int64?

    /// Nil when not started by systemd (no `NOTIFY_SOCKET`).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty,
            path.hasPrefix("/") || path.hasPrefix("@"), path.utf8.count < 108
        else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        socketPath = path
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
            watchdogIntervalNs = usec * 1000 / 2
        } else {
            watchdogIntervalNs = nil
        }
    }

    deinit { close(fd) }

    /// Sends one notification such as `READY=1\nSTATUS=...`; false if it failed.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (i, byte) in bytes.enumerated() { path[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent == message.count
    }
}

/// Tells systemd the truth about the daemon: READY=1 once the
/// configuration is valid, the database open and the drivers and the hot
/// path started; WATCHDOG=1 only while the hot path turns and the store
/// answers (`/livez`); a one-line STATUS=; STOPPING=1 on the way out.
public struct SystemdService: Service {
    let notifier: SystemdNotifier
    let processing: ProcessingService
    let driversStarted: @Sendable () -> Bool
    let status: @Sendable () -> String
    /// True when this stop is a reload (RELOADING=1, not STOPPING=1).
    let reloading: @Sendable () -> Bool
    let logger: Logger
    /// How long without a hot-path turn or a commit counts as stuck.
    let stuckNs: Int64

    public init(
        notifier: SystemdNotifier, processing: ProcessingService, driversStarted: @escaping @Sendable () -> Bool,
        status: @escaping @Sendable () -> String, reloading: @escaping @Sendable () -> Bool = { false },
        logger: Logger
    ) {
        self.reloading = reloading
        self.notifier = notifier
        self.processing = processing
        self.driversStarted = driversStarted
        self.status = status
        self.logger = logger
        stuckNs = max(Self.stuckNs, notifier.watchdogIntervalNs ?? 0)
    }

    /// How long without a hot-path turn or an answer from the store counts
    /// as stuck: an idle hot path turns every second and a busy one every
    /// 50 ms, but a commit may wait out SQLite's 5 s busy timeout beside a
    /// `picket report`; twice that is a hang, not a busy moment.
    public static let stuckNs: Int64 = 10_000_000_000

    /// Why the daemon is not alive now (for `/livez` and the watchdog), or nil.
    public static func problem(_ processing: ProcessingService, stuckNs: Int64 = SystemdService.stuckNs) -> String? {
        let now = processing.clock.monotonicNs()
        let turn = processing.lastTurnNs.load(ordering: .relaxed)
        let commit = processing.lastCommitNs.load(ordering: .relaxed)
        if turn == 0 || commit == 0 { return "starting: the hot path has not committed yet" }
        if now - turn >= stuckNs { return "hot path stuck: no turn for \((now - turn) / 1_000_000) ms" }
        // The commit runs on the hot path's thread: give the turn the first word.
        if now - commit >= stuckNs + 1_000_000_000 {
            return "store stuck: no commit for \((now - commit) / 1_000_000) ms"
        }
        return nil
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if processing.started.load(ordering: .acquiring) && driversStarted()
                    && processing.lastCommitNs.load(ordering: .relaxed) > 0
                {
                    break
                }
                try? await processing.clock.sleep(forNs: 10_000_000)
            }
            guard !Task.isCancelled else { return }
            notifier.notify("READY=1\nSTATUS=\(status())")
            logger.info("told systemd: ready")
            var lastStatus = processing.clock.monotonicNs()
            var wasHealthy = true
            let interval = notifier.watchdogIntervalNs ?? 5_000_000_000
            while !Task.isCancelled {
                try? await processing.clock.sleep(forNs: min(interval, 5_000_000_000))
                let now = processing.clock.monotonicNs()
                // The same check as /healthz, so the two never disagree.
                let problem = Self.problem(processing, stuckNs: stuckNs)
                let healthy = problem == nil
                if healthy, notifier.watchdogIntervalNs != nil { notifier.notify("WATCHDOG=1") }
                if healthy != wasHealthy {
                    if let problem {
                        logger.critical(
                            "hot path or store stuck: watchdog pings stop", metadata: ["reason": "\(problem)"])
                    } else {
                        logger.notice("hot path and store progressing again")
                    }
                    wasHealthy = healthy
                }
                if now - lastStatus >= 10_000_000_000 {
                    notifier.notify("STATUS=\(status())")
                    lastStatus = now
                }
            }
        }
        if reloading() {
            notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(processing.clock.monotonicNs() / 1000)")
        } else {
            notifier.notify("STOPPING=1")
        }
    }
}
