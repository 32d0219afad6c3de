import Dispatch

/// Wakes the consumer when a producer hands over input. Producers ring only
/// when the consumer said it is going to sleep, so a busy hot path makes no
/// system call per input.
final class Doorbell: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func ring() { semaphore.signal() }

    func wait(timeoutNs: Int64) {
        _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(max(0, timeoutNs))))
    }
}
