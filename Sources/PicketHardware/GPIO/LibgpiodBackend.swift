import CGPIOD
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// GPIO lines through libgpiod 1.6 (the v1 API Debian 12 ships).
///
/// Each line gets a chip handle of its own, so releasing a failed line (a
/// chip that went away, a line to retry) never touches the others.
public struct LibgpiodBackend: GPIOBackend {
    public init() {}

    public func request(_ config: GPIOLineConfig, consumer: String) throws(GPIORequestError) -> any GPIORequestedLine {
        let chipName = config.chip
        let offset = config.line
        func failure(_ reason: GPIORequestError.Reason) -> GPIORequestError {
            GPIORequestError(chip: chipName, line: offset, reason: reason)
        }
        // Looks the chip up by name (gpiochip0), path, label or number.
        let chip: OpaquePointer
        do throws(SystemError) {
            chip = try SystemCall.retrying("gpiod_chip_open_lookup", chipName) { gpiod_chip_open_lookup(chipName) }
        } catch {
            // ENOTTY: the path exists but is no GPIO chip; as wrong as a missing one.
            throw failure(error.isMissing || error.errno == ENOTTY ? .noSuchChip : .failed(error))
        }
        let lines = Int(gpiod_chip_num_lines(chip))
        guard offset >= 0, offset < lines, let line = gpiod_chip_get_line(chip, UInt32(offset)) else {
            gpiod_chip_close(chip)
            throw failure(.noSuchLine(lines: lines))
        }
        var flags = config.active == .low ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        switch config.bias {
        case .asIs: break
        case .disabled: flags |= Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE)
        case .pullUp: flags |= Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: flags |= Int32(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        }
        do throws(SystemError) {
            _ = try SystemCall.retrying("gpiod_line_request_both_edges_events_flags", "\(chipName) line \(offset)") {
                gpiod_line_request_both_edges_events_flags(line, consumer, flags)
            }
        } catch {
            defer { gpiod_chip_close(chip) }
            guard error.isBusy else { throw failure(.failed(error)) }
            _ = gpiod_line_update(line)
            throw failure(.busy(consumer: gpiod_line_consumer(line).map { String(cString: $0) }))
        }
        let fd = gpiod_line_event_get_fd(line)
        do throws(SystemError) {
            let subject = "\(chipName) line \(offset)"
            let fl = try SystemCall.retrying("fcntl", subject) { fcntl(fd, F_GETFL) }
            _ = try SystemCall.retrying("fcntl", subject) { fcntl(fd, F_SETFL, fl | O_NONBLOCK) }
        } catch {
            gpiod_line_release(line)
            gpiod_chip_close(chip)
            throw failure(.failed(error))
        }
        return LibgpiodLine(chip: chip, line: line, fd: fd, subject: "\(chipName) line \(offset)")
    }
}

/// A requested libgpiod line and the chip handle that owns it.
final class LibgpiodLine: GPIORequestedLine {
    private let chip: OpaquePointer
    private let line: OpaquePointer
    let eventFD: Int32
    private let subject: String
    private var released = false
    /// The kernel's buffer for one read: `gpiod_line_event_read_fd_multiple`
    /// takes at most 16 events (the kernel's queue per line holds 16).
    private var raw = [gpiod_line_event](repeating: gpiod_line_event(), count: LibgpiodGPIODriver.batchSize)

    init(chip: OpaquePointer, line: OpaquePointer, fd: Int32, subject: String) {
        self.chip = chip
        self.line = line
        self.eventFD = fd
        self.subject = subject
    }

    deinit { release() }

    func readEvents(into buffer: inout [GPIOKernelEvent]) throws(SystemError) -> Int {
        let wanted = UInt32(min(buffer.count, raw.count))
        let count: Int32
        do throws(SystemError) {
            count = try SystemCall.retrying("gpiod_line_event_read_fd_multiple", subject) {
                gpiod_line_event_read_fd_multiple(eventFD, &raw, wanted)
            }
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return 0 }
            throw error
        }
        for i in 0..<Int(count) {
            let ts = raw[i].ts
            buffer[i] = GPIOKernelEvent(
                timestampNs: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec),
                rising: raw[i].event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE))
        }
        return Int(count)
    }

    func logicalValue() throws(SystemError) -> Bool {
        try SystemCall.retrying("gpiod_line_get_value", subject) { gpiod_line_get_value(line) } != 0
    }

    func release() {
        guard !released else { return }
        released = true
        gpiod_line_release(line)
        gpiod_chip_close(chip)
    }
}
