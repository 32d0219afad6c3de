import Logging
import PicketCore
import ServiceLifecycle

/// Marks boxes offline whose last status is older than `offline_after_s`
/// (PRODUCT.md 7a), once per outage: the store's conditional update
/// decides, so two processes on one database raise one `box.offline`.
/// Runs on the injected clock; checks every `intervalNs`.
public struct OfflineWatcher: Service {
    let store: any SectorStore
    let clock: any PicketClock
    let offlineAfterNs: Int64
    let intervalNs: Int64
    let metrics: SectorMetrics
    let logger: Logger

    /// Checks a tenth of `offline_after_s` apart, at least every second and
    /// at most every minute.
    public init(
        store: any SectorStore, clock: any PicketClock, offlineAfterS: Int, metrics: SectorMetrics, logger: Logger,
        intervalNs: Int64? = nil
    ) {
        self.store = store
        self.clock = clock
        offlineAfterNs = Int64(offlineAfterS) * 1_000_000_000
        self.intervalNs = intervalNs ?? min(60_000_000_000, max(1_000_000_000, offlineAfterNs / 10))
        self.metrics = metrics
        self.logger = logger
    }

    /// Until cancelled or the group shuts down (which cancels the sleep).
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.check()
                try await self.clock.sleep(forNs: self.intervalNs)
            }
        }
    }

    /// One round: marks the boxes now silent too long and logs each outage.
    public func check() async {
        let now = clock.wallNs()
        do {
            for alert in try await store.markOffline(lastStatusBefore: now - offlineAfterNs, at: now) {
                logger.warning(
                    "\(alert.summary ?? alert.rule ?? "box offline")",
                    metadata: ["box": "\(alert.box)", "alert": "\(alert.id)"])
            }
            metrics.boxes(try await store.boxes())
        } catch {
            logger.error("cannot check for offline boxes: \(error)")
        }
    }
}
