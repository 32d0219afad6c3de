import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// SIGTERM and SIGINT for the whole life of `picket run` or `picket record`,
/// not only while a ServiceGroup runs: a group registers its own signal
/// handlers inside `run()`, so a signal that came before (while the
/// configuration loads and the database opens, or between two cycles of a
/// reload) took the default action and killed the process mid-start, exit
/// status "signal 15" instead of a clean 0.
public final class ShutdownSignals: Sendable {
    private let state = Mutex<(requested: Bool, group: ServiceGroup?)>((false, nil))
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    private init() {}

    /// Traps SIGTERM and SIGINT from now on (returns once the handlers are
    /// registered, so no later signal is missed).
    public static func trap(logger: Logger) async -> ShutdownSignals {
        let signals = ShutdownSignals()
        let sequence = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let task = Task {
            for await signal in sequence {
                logger.notice("stopping", metadata: ["signal": "\(signal)"])
                await signals.request()
            }
        }
        signals.watcher.withLock { $0 = task }
        return signals
    }

    /// True once SIGTERM or SIGINT came.
    public var requested: Bool { state.withLock { $0.requested } }

    /// Asks the running group, if any, to shut down gracefully; a group
    /// attached later is stopped as soon as it is attached.
    func request() async {
        let group = state.withLock { state -> ServiceGroup? in
            state.requested = true
            return state.group
        }
        await group?.triggerGracefulShutdown()
    }

    /// `group` is the one to stop on a signal; stopped at once (it then
    /// starts and drains cleanly) when a signal already came.
    public func attach(_ group: ServiceGroup) async {
        let requested = state.withLock { state -> Bool in
            state.group = group
            return state.requested
        }
        if requested { await group.triggerGracefulShutdown() }
    }

    /// Stops trapping (the process is about to exit).
    public func cancel() {
        watcher.withLock { $0?.cancel() }
    }
}
