import PicketCore
import Synchronization

/// Wakes a sleeping sender at once (`DeliveryService.nudge`): a ring while
/// nobody sleeps is kept, so the next sleep returns at once and no nudge is
/// lost.
final class Wakeup: Sendable {
    /// What the sleeps are timed on.
    let clock: any PicketClock
    private let state = Mutex<(rung: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(clock: any PicketClock) { self.clock = clock }

    func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else {
                s.rung = true
                return nil
            }
            s.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Sleeps for `ns` at most; returns early on a ring or cancellation.
    func sleep(ns: Int64) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.clock.sleep(forNs: ns) }
            group.addTask { await self.waitForRing() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns at the next ring (or at once for one kept), or on cancellation.
    func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.rung {
                        s.rung = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    s.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
