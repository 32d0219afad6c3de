import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A one-shot signal a `poll` loop can wait on beside its device, so task
/// cancellation reaches a thread blocked in `poll` at once instead of at its
/// next timeout.
///
/// A pipe rather than an eventfd because Glibc's Swift module does not
/// export `eventfd` (nor `pipe2`). Once signalled it stays readable: the
/// byte is never read, so every later wait returns at once too.
final class WakePipe: Sendable {
    /// Poll this for POLLIN.
    let readFD: Int32
    private let writeFD: Int32

    init() throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        _ = try SystemCall.retrying("pipe", "wake pipe") { pipe(&fds) }
        do throws(SystemError) {
            for fd in fds {
                _ = try SystemCall.retrying("fcntl", "wake pipe") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
                let flags = try SystemCall.retrying("fcntl", "wake pipe") { fcntl(fd, F_GETFL) }
                _ = try SystemCall.retrying("fcntl", "wake pipe") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    // close is not retried: on Linux the descriptor is gone even on EINTR.
    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes every current and future wait. Safe from any thread, any number
    /// of times (a full pipe already wakes).
    func signal() {
        var byte: UInt8 = 1
        _ = try? SystemCall.retrying("write", "wake pipe") { write(writeFD, &byte, 1) }
    }

    var isSignalled: Bool { wait(timeoutNs: 0) }

    /// Sleeps up to `timeoutNs`; returns true when woken by `signal`.
    func wait(timeoutNs: Int64) -> Bool {
        var fd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        let ms = Int32(clamping: (max(0, timeoutNs) + 999_999) / 1_000_000)
        let ready = (try? SystemCall.retrying("poll", "wake pipe") { poll(&fd, 1, ms) }) ?? 0
        return ready > 0
    }

    /// Runs `body` on a thread of its own (a driver's blocking `poll` loop
    /// stays off the cooperative pool) and returns when it does; cancelling
    /// the calling task signals the pipe `body` is handed. A cancellation
    /// before the thread polls is not lost: the pipe stays readable.
    static func runThread(named name: String, _ body: @escaping @Sendable (WakePipe) -> Void) async throws {
        let wake = try WakePipe()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    body(wake)
                    done.resume()
                }
                thread.name = name
                thread.start()
            }
        } onCancel: {
            wake.signal()
        }
    }
}
