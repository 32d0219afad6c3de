import Foundation
import Logging
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// A live serial port (the radio receiver that relays the ground sensors, a
/// GPS) read through termios.
///
/// The port is a USB adapter in a field box: it gets unplugged, re-enumerated
/// and knocked loose, and it may not be there yet when the daemon starts. So
/// the driver never gives up on it: a hangup, a read error, the device node
/// vanishing or an open that fails all close the port, tell the framer its
/// stream broke (a gap, so half a sentence never joins the next one), mark
/// the port unhealthy and reopen it with capped backoff until it works again
/// or the task is cancelled. An outage is logged once, not once per retry.
///
/// A port that opens and breaks at once (a loose connector, a receiver in a
/// reset loop) is not a fresh start each time: the backoff goes back to its
/// shortest only after a session that lasted `stableAfterNs`, and a loss
/// that keeps coming back is logged at most once per `logIntervalNs`, with
/// how many went unsaid. The port is opened exclusively (see
/// `Termios.openRaw`); one held by another process is "busy" and retried
/// like an absent one.
///
/// The waiting happens in `poll` on a thread of the driver's own, never on
/// the cooperative pool; cancellation wakes that `poll` through a pipe, so
/// `run` returns within milliseconds.
public final class TermiosSerialDriver: SerialByteSource {
    /// The port's index in the configuration, as the hub numbers it.
    public let portIndex: Int
    public let config: SerialPortConfig
    private let mapping: UTCMapping
    private let health: DriverHealthBoard
    private let logger: Logger
    private let retry: RetryPolicy
    private let stableAfterNs: Int64
    private let logIntervalNs: Int64

    /// At most this many bytes per read: four seconds of a 9600-baud
    /// receiver, so a backlog after a stall is handed over in few chunks.
    static let readSize = 4096
    /// How long `poll` waits before an idle port checks that its path still
    /// names the device it opened (a device can vanish without a hangup).
    static let idleCheckMs: Int32 = 1000

    public init(
        portIndex: Int, config: SerialPortConfig, mapping: UTCMapping, health: DriverHealthBoard,
        logger: Logger, retry: RetryPolicy = .default, stableAfterNs: Int64 = 60_000_000_000,
        logIntervalNs: Int64 = 30_000_000_000
    ) {
        self.portIndex = portIndex
        self.config = config
        self.mapping = mapping
        self.health = health
        self.logger = logger
        self.retry = retry
        self.stableAfterNs = stableAfterNs
        self.logIntervalNs = logIntervalNs
    }

    public var name: String { "serial \(config.port)" }

    /// Reads the port until the task is cancelled, reopening it whenever it
    /// fails. Throws only for what retrying cannot fix: a baud rate termios
    /// does not have, or no descriptor left for the wake pipe.
    public func run(into sink: any InputSink) async throws {
        guard let speed = Termios.speed(baud: config.baud) else {
            throw UnsupportedBaudRate(port: config.port, baud: config.baud)
        }
        if let warning = KernelConsole.warning(port: config.port) {
            logger.warning(
                "serial port is a kernel console", metadata: ["port": "\(config.port)", "reason": "\(warning)"])
        }
        try await WakePipe.runThread(named: "picket-serial-\(portIndex)") { [self] wake in
            readLoop(into: sink, speed: speed, wake: wake)
        }
    }

    // MARK: The driver's thread

    /// How one open of the port ended.
    private enum SessionEnd {
        case cancelled
        /// The open (or configuring the port) failed: nothing was read, no gap.
        case notOpened(SerialOpenError)
        /// The port worked for `lastedNs` and then broke.
        case broke(String, lastedNs: Int64)
    }

    /// What has been said about the port, so that an outage is logged once and
    /// the health board hears of changes rather than of every retry.
    private struct Reported {
        /// The unhealthy detail last reported; nil while the port works.
        var detail: String?
        var down = false
        var everOpened = false
        /// Whether the current outage was logged (a repeat may go unsaid,
        /// and then so does the reconnect that ends it).
        var downLogged = false
        /// Losses of a port that keeps breaking, said at most once per interval.
        var losses: RepeatLimiter
    }

    private func readLoop(into sink: any InputSink, speed: speed_t, wake: WakePipe) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
        defer { buffer.deallocate() }
        var reported = Reported(losses: RepeatLimiter(intervalNs: logIntervalNs))
        var attempt = 0
        while !wake.isSignalled {
            let reason: String
            var loud = false
            switch session(into: sink, speed: speed, buffer: buffer, wake: wake, reported: &reported) {
            case .cancelled:
                return
            case .notOpened(let error):
                reason = error.description
                loud = error.isSettings
            case .broke(let why, let lastedNs):
                reason = why
                // Only a session that lasted earns a quick retry (and a
                // fresh log line): one that broke at once is a flapping port.
                if lastedNs >= stableAfterNs {
                    attempt = 0
                    reported.losses.cleared()
                }
                sink.offerGap(port: portIndex, t: mapping.now())
            }
            reportDown(reason, loud: loud, &reported)
            let delay = retry.delay(attempt: attempt)
            logger.debug(
                "serial port retry",
                metadata: ["port": "\(config.port)", "attempt": "\(attempt)", "delay_ms": "\(delay / 1_000_000)"])
            // A port that is down is silent: its watermark follows the clock.
            sink.waiting(.port(portIndex), lagNs: 0)
            if wake.wait(timeoutNs: delay) { return }
            sink.delivered(.port(portIndex), through: mapping.now())
            attempt += 1
        }
    }

    /// Opens the port, reads it until it breaks or the task is cancelled, closes it.
    private func session(
        into sink: any InputSink, speed: speed_t, buffer: UnsafeMutableRawBufferPointer, wake: WakePipe,
        reported: inout Reported
    ) -> SessionEnd {
        let fd: Int32
        do throws(SerialOpenError) {
            fd = try Termios.openRaw(path: config.port, baud: config.baud, speed: speed)
        } catch {
            return .notOpened(error)
        }
        // close is not retried: on Linux the descriptor is gone even on EINTR.
        defer { close(fd) }
        reportUp(&reported)
        let opened = mapping.monotonicNs()
        switch pump(fd, into: sink, buffer: buffer, wake: wake) {
        case .cancelled: return .cancelled
        case .broke(let why): return .broke(why, lastedNs: mapping.monotonicNs() - opened)
        }
    }

    /// How reading an open port ended.
    private enum PumpEnd {
        case cancelled
        case broke(String)
    }

    /// Hands every read to the sink until the port breaks or `wake` fires.
    private func pump(_ fd: Int32, into sink: any InputSink, buffer: UnsafeMutableRawBufferPointer, wake: WakePipe)
        -> PumpEnd
    {
        let path = config.port
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready: Int32
            // Watermark: a read is stamped when it returns, so while the
            // driver waits in `poll` nothing older than its wake-up can come;
            // once awake, everything up to the wake-up has been offered.
            sink.waiting(.port(portIndex), lagNs: 0)
            do throws(SystemError) {
                ready = try SystemCall.retrying("poll", path) { poll(&fds, nfds_t(fds.count), Self.idleCheckMs) }
            } catch {
                return .broke(error.description)
            }
            sink.delivered(.port(portIndex), through: mapping.now())
            if fds[1].revents != 0 {
                drainOnStop(fd, into: sink, buffer: buffer)
                return .cancelled
            }
            if ready == 0 {
                if let gone = vanished(fd) { return .broke(gone) }
                continue
            }
            let events = Int32(fds[0].revents)
            if events & POLLNVAL != 0 { return .broke("\(path): descriptor no longer valid") }
            // Read even on a hangup, so bytes that arrived before it are delivered.
            var count = 0
            do throws(SystemError) {
                count = try SystemCall.retrying("read", path) { read(fd, buffer.baseAddress, buffer.count) }
            } catch {
                // EIO, ENXIO, ENODEV: unplugged, or the other end of a pty closed.
                guard error.errno == EAGAIN || error.errno == EWOULDBLOCK else {
                    return .broke(error.description)
                }
            }
            if count > 0 {
                let t = mapping.now()
                sink.offerSerial(port: portIndex, t: t, bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } else if events & (POLLHUP | POLLERR) != 0 {
                // With VMIN = VTIME = 0 a read of 0 is no end of file by itself;
                // after a hangup it is: a hung-up tty reads 0 forever.
                return .broke("\(path): hung up (device unplugged or closed)")
            }
        }
    }

    /// On stop, hands over what already reached the port (a burst the
    /// daemon was still reading when SIGTERM came), a bounded amount, so a
    /// stop loses nothing that had arrived.
    private func drainOnStop(_ fd: Int32, into sink: any InputSink, buffer: UnsafeMutableRawBufferPointer) {
        for _ in 0..<64 {
            guard
                let count = try? SystemCall.retrying(
                    "read", config.port, { read(fd, buffer.baseAddress, buffer.count) }),
                count > 0
            else { return }
            sink.offerSerial(
                port: portIndex, t: mapping.now(), bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Why the port's path no longer names the open device, if it does not:
    /// the node is gone, or a new device took the path (a by-id link re-made).
    private func vanished(_ fd: Int32) -> String? {
        let path = config.port
        var opened = stat()
        var named = stat()
        do throws(SystemError) {
            _ = try SystemCall.retrying("fstat", path) { fstat(fd, &opened) }
            _ = try SystemCall.retrying("stat", path) { stat(path, &named) }
        } catch {
            return error.isMissing ? "\(path): device disappeared" : nil
        }
        return named.st_rdev == opened.st_rdev ? nil : "\(path): now names another device"
    }

    // MARK: Reporting

    private func reportDown(_ detail: String, loud: Bool, _ reported: inout Reported) {
        if !reported.down {
            reported.down = true
            if let unsaid = reported.losses.occurred(now: mapping.monotonicNs()) {
                reported.downLogged = true
                let message: Logger.Message =
                    loud
                    ? "serial port did not take its settings, retrying"
                    : reported.everOpened ? "serial port lost, reopening" : "serial port unavailable, retrying"
                var metadata: Logger.Metadata = ["port": "\(config.port)", "reason": "\(detail)"]
                // A port that keeps breaking: how often it did since the last line.
                if unsaid > 0 { metadata["repeats"] = "\(unsaid)" }
                logger.log(level: loud ? .error : .warning, message, metadata: metadata)
            } else {
                reported.downLogged = false
            }
        }
        if reported.detail != detail {
            reported.detail = detail
            health.report(
                DriverStatus(source: config.port, sensors: [], healthy: false, detail: detail, ts: mapping.now()))
        }
    }

    private func reportUp(_ reported: inout Reported) {
        let detail = "\(config.port): open at \(config.baud) baud, 8N1"
        health.report(DriverStatus(source: config.port, sensors: [], healthy: true, detail: detail, ts: mapping.now()))
        let metadata: Logger.Metadata = ["port": "\(config.port)", "baud": "\(config.baud)"]
        if reported.down {
            if reported.downLogged {
                logger.notice(reported.everOpened ? "serial port reconnected" : "serial port open", metadata: metadata)
            }
        } else {
            logger.info("serial port open", metadata: metadata)
        }
        reported.detail = nil
        reported.down = false
        reported.downLogged = false
        reported.everOpened = true
    }
}
