import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// The libgpiod 1.x calls Picket uses (`gpiod.h` of 1.6, Debian 12), as C
/// function pointers looked up in the loaded library. Pointers to the
/// library's structs are opaque; the one struct read directly,
/// `struct gpiod_line_event { struct timespec ts; int event_type; }`, is read
/// at its C offsets (`LibgpiodV1Line`).
struct LibgpiodV1: @unchecked Sendable {
    typealias Chip = OpaquePointer
    typealias Line = OpaquePointer

    // struct gpiod_chip *gpiod_chip_open(const char *path);
    let chipOpen: @convention(c) (UnsafePointer<CChar>?) -> Chip?
    // void gpiod_chip_close(struct gpiod_chip *chip);
    let chipClose: @convention(c) (Chip?) -> Void
    // const char *gpiod_chip_label(struct gpiod_chip *chip);
    let chipLabel: @convention(c) (Chip?) -> UnsafePointer<CChar>?
    // unsigned int gpiod_chip_num_lines(struct gpiod_chip *chip);
    let chipNumLines: @convention(c) (Chip?) -> UInt32
    // struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset);
    let chipGetLine: @convention(c) (Chip?, UInt32) -> Line?
    // const char *gpiod_line_name(struct gpiod_line *line);
    let lineName: @convention(c) (Line?) -> UnsafePointer<CChar>?
    // const char *gpiod_line_consumer(struct gpiod_line *line);
    let lineConsumer: @convention(c) (Line?) -> UnsafePointer<CChar>?
    // int gpiod_line_update(struct gpiod_line *line);
    let lineUpdate: @convention(c) (Line?) -> Int32
    // int gpiod_line_request_both_edges_events_flags(struct gpiod_line *line, const char *consumer, int flags);
    let requestBothEdges: @convention(c) (Line?, UnsafePointer<CChar>?, Int32) -> Int32
    // int gpiod_line_request_input_flags(struct gpiod_line *line, const char *consumer, int flags);
    let requestInput: @convention(c) (Line?, UnsafePointer<CChar>?, Int32) -> Int32
    // int gpiod_line_event_get_fd(struct gpiod_line *line);
    let eventGetFD: @convention(c) (Line?) -> Int32
    // int gpiod_line_event_read_fd_multiple(int fd, struct gpiod_line_event *events, unsigned int num_events);
    let eventReadFDMultiple: @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32) -> Int32
    // int gpiod_line_get_value(struct gpiod_line *line);
    let getValue: @convention(c) (Line?) -> Int32
    // void gpiod_line_release(struct gpiod_line *line);
    let lineRelease: @convention(c) (Line?) -> Void
    // const char *gpiod_version_string(void);
    let versionString: @convention(c) () -> UnsafePointer<CChar>?

    // enum { GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW = BIT(2), ..._BIAS_DISABLE = BIT(3),
    //        ..._BIAS_PULL_DOWN = BIT(4), ..._BIAS_PULL_UP = BIT(5) };
    static let flagActiveLow: Int32 = 1 << 2
    static let flagBiasDisable: Int32 = 1 << 3
    static let flagBiasPullDown: Int32 = 1 << 4
    static let flagBiasPullUp: Int32 = 1 << 5
    // enum { GPIOD_LINE_EVENT_RISING_EDGE = 1, GPIOD_LINE_EVENT_FALLING_EDGE };
    static let eventRisingEdge: Int32 = 1

    init(_ handle: UnsafeMutableRawPointer) throws(LibgpiodLibrary.LoadError) {
        chipOpen = try libgpiodSymbol(handle, "gpiod_chip_open", type(of: chipOpen))
        chipClose = try libgpiodSymbol(handle, "gpiod_chip_close", type(of: chipClose))
        chipLabel = try libgpiodSymbol(handle, "gpiod_chip_label", type(of: chipLabel))
        chipNumLines = try libgpiodSymbol(handle, "gpiod_chip_num_lines", type(of: chipNumLines))
        chipGetLine = try libgpiodSymbol(handle, "gpiod_chip_get_line", type(of: chipGetLine))
        lineName = try libgpiodSymbol(handle, "gpiod_line_name", type(of: lineName))
        lineConsumer = try libgpiodSymbol(handle, "gpiod_line_consumer", type(of: lineConsumer))
        lineUpdate = try libgpiodSymbol(handle, "gpiod_line_update", type(of: lineUpdate))
        requestBothEdges = try libgpiodSymbol(
            handle, "gpiod_line_request_both_edges_events_flags", type(of: requestBothEdges))
        requestInput = try libgpiodSymbol(handle, "gpiod_line_request_input_flags", type(of: requestInput))
        eventGetFD = try libgpiodSymbol(handle, "gpiod_line_event_get_fd", type(of: eventGetFD))
        eventReadFDMultiple = try libgpiodSymbol(
            handle, "gpiod_line_event_read_fd_multiple", type(of: eventReadFDMultiple))
        getValue = try libgpiodSymbol(handle, "gpiod_line_get_value", type(of: getValue))
        lineRelease = try libgpiodSymbol(handle, "gpiod_line_release", type(of: lineRelease))
        versionString = try libgpiodSymbol(handle, "gpiod_version_string", type(of: versionString))
    }

    var version: String { versionString().map { String(cString: $0) } ?? "1.x" }

    static func flags(active: ActiveLevel, bias: LineBias) -> Int32 {
        var flags = active == .low ? flagActiveLow : 0
        switch bias {
        case .asIs: break
        case .disabled: flags |= flagBiasDisable
        case .pullUp: flags |= flagBiasPullUp
        case .pullDown: flags |= flagBiasPullDown
        }
        return flags
    }

    /// Opens the chip at `path`, mapping errno to what the technician must fix.
    func open(_ path: String, chip: String, line: Int) throws(GPIORequestError) -> Chip {
        do throws(SystemError) {
            return try SystemCall.retrying("gpiod_chip_open", path) { chipOpen(path) }
        } catch {
            throw GPIORequestError(chip: chip, line: line, reason: .opening(path, error))
        }
    }

    func chipInfo(path: String) throws(SystemError) -> GPIOChipInfo {
        let chip = try SystemCall.retrying("gpiod_chip_open", path) { chipOpen(path) }
        defer { chipClose(chip) }
        return GPIOChipInfo(
            path: path, label: chipLabel(chip).map { String(cString: $0) } ?? "", lines: Int(chipNumLines(chip)))
    }

    func request(path: String, _ config: GPIOLineConfig, mode: GPIORequestMode, consumer: String)
        throws(GPIORequestError) -> any GPIORequestedLine
    {
        let subject = "\(config.chip) line \(config.line)"
        func failure(_ reason: GPIORequestError.Reason) -> GPIORequestError {
            GPIORequestError(chip: config.chip, line: config.line, reason: reason)
        }
        let chip = try open(path, chip: config.chip, line: config.line)
        let lines = Int(chipNumLines(chip))
        guard config.line >= 0, config.line < lines, let line = chipGetLine(chip, UInt32(config.line)) else {
            chipClose(chip)
            throw failure(.noSuchLine(lines: lines))
        }
        let info = GPIOLineInfo(
            chipPath: path, chipLabel: chipLabel(chip).map { String(cString: $0) } ?? "", chipLines: lines,
            lineName: lineName(line).map { String(cString: $0) })
        let call = mode == .edges ? requestBothEdges : requestInput
        let callName = mode == .edges ? "gpiod_line_request_both_edges_events_flags" : "gpiod_line_request_input_flags"
        do throws(SystemError) {
            _ = try SystemCall.retrying(callName, subject) {
                call(line, consumer, Self.flags(active: config.active, bias: config.bias))
            }
        } catch {
            defer { chipClose(chip) }
            throw failure(
                .diagnose(
                    error, mode: mode, bias: config.bias, chipPath: path,
                    probe: { bias in
                        guard requestInput(line, consumer, Self.flags(active: config.active, bias: bias)) == 0 else {
                            return false
                        }
                        lineRelease(line)
                        return true
                    },
                    consumer: {
                        _ = lineUpdate(line)
                        return lineConsumer(line).map { String(cString: $0) }
                    }))
        }
        var fd: Int32 = -1
        if mode == .edges {
            fd = eventGetFD(line)
            do throws(SystemError) {
                try LibgpiodBackend.makeNonblocking(fd, subject)
            } catch {
                lineRelease(line)
                chipClose(chip)
                throw failure(.failed(error))
            }
        }
        return LibgpiodV1Line(api: self, chip: chip, line: line, fd: fd, info: info, subject: subject)
    }
}

/// A line requested through libgpiod 1.x and the chip handle that owns it.
final class LibgpiodV1Line: GPIORequestedLine {
    private let api: LibgpiodV1
    private let chip: OpaquePointer
    private let line: OpaquePointer
    let eventFD: Int32
    let info: GPIOLineInfo
    private let subject: String
    private var released = false
    /// Room for one read of `struct gpiod_line_event`s, which
    /// `gpiod_line_event_read_fd_multiple` caps at 16 (the kernel's queue per line).
    private let raw: UnsafeMutableRawPointer
    /// The C layout: a `struct timespec`, then an int, padded to the
    /// timespec's alignment.
    private static let typeOffset = MemoryLayout<timespec>.size
    private static let stride =
        (MemoryLayout<timespec>.size + MemoryLayout<Int32>.size + MemoryLayout<timespec>.alignment - 1)
        / MemoryLayout<timespec>.alignment * MemoryLayout<timespec>.alignment

    init(api: LibgpiodV1, chip: OpaquePointer, line: OpaquePointer, fd: Int32, info: GPIOLineInfo, subject: String) {
        self.api = api
        self.chip = chip
        self.line = line
        self.eventFD = fd
        self.info = info
        self.subject = subject
        raw = UnsafeMutableRawPointer.allocate(
            byteCount: Self.stride * LibgpiodGPIODriver.batchSize, alignment: MemoryLayout<timespec>.alignment)
    }

    deinit {
        release()
        raw.deallocate()
    }

    func readEvents(into buffer: inout [GPIOKernelEvent]) throws(SystemError) -> Int {
        let wanted = UInt32(min(buffer.count, LibgpiodGPIODriver.batchSize))
        let count: Int32
        do throws(SystemError) {
            count = try SystemCall.retrying("gpiod_line_event_read_fd_multiple", subject) {
                api.eventReadFDMultiple(eventFD, raw, wanted)
            }
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return 0 }
            throw error
        }
        for i in 0..<Int(count) {
            let ts = raw.load(fromByteOffset: i * Self.stride, as: timespec.self)
            let type = raw.load(fromByteOffset: i * Self.stride + Self.typeOffset, as: Int32.self)
            buffer[i] = GPIOKernelEvent(
                timestampNs: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec),
                rising: type == LibgpiodV1.eventRisingEdge)
        }
        return Int(count)
    }

    func logicalValue() throws(SystemError) -> Bool {
        try SystemCall.retrying("gpiod_line_get_value", subject) { api.getValue(line) } != 0
    }

    func release() {
        guard !released else { return }
        released = true
        api.lineRelease(line)
        api.chipClose(chip)
    }
}
