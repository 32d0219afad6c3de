import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// The libgpiod 2.x calls Picket uses (`gpiod.h` of 2.x, Debian 13 and
/// Raspberry Pi OS 13), as C function pointers looked up in the loaded
/// library. Every struct of the v2 API is opaque; enums are C ints.
struct LibgpiodV2: @unchecked Sendable {
    typealias Pointer = OpaquePointer

    // struct gpiod_chip *gpiod_chip_open(const char *path);
    let chipOpen: @convention(c) (UnsafePointer<CChar>?) -> Pointer?
    // void gpiod_chip_close(struct gpiod_chip *chip);
    let chipClose: @convention(c) (Pointer?) -> Void
    // struct gpiod_chip_info *gpiod_chip_get_info(struct gpiod_chip *chip);
    let chipGetInfo: @convention(c) (Pointer?) -> Pointer?
    // void gpiod_chip_info_free(struct gpiod_chip_info *info);
    let chipInfoFree: @convention(c) (Pointer?) -> Void
    // const char *gpiod_chip_info_get_label(struct gpiod_chip_info *info);
    let chipInfoGetLabel: @convention(c) (Pointer?) -> UnsafePointer<CChar>?
    // size_t gpiod_chip_info_get_num_lines(struct gpiod_chip_info *info);
    let chipInfoGetNumLines: @convention(c) (Pointer?) -> Int
    // struct gpiod_line_info *gpiod_chip_get_line_info(struct gpiod_chip *chip, unsigned int offset);
    let chipGetLineInfo: @convention(c) (Pointer?, UInt32) -> Pointer?
    // void gpiod_line_info_free(struct gpiod_line_info *info);
    let lineInfoFree: @convention(c) (Pointer?) -> Void
    // const char *gpiod_line_info_get_name(struct gpiod_line_info *info);
    let lineInfoGetName: @convention(c) (Pointer?) -> UnsafePointer<CChar>?
    // bool gpiod_line_info_is_used(struct gpiod_line_info *info);
    let lineInfoIsUsed: @convention(c) (Pointer?) -> Bool
    // const char *gpiod_line_info_get_consumer(struct gpiod_line_info *info);
    let lineInfoGetConsumer: @convention(c) (Pointer?) -> UnsafePointer<CChar>?
    // struct gpiod_line_settings *gpiod_line_settings_new(void);
    let settingsNew: @convention(c) () -> Pointer?
    // void gpiod_line_settings_free(struct gpiod_line_settings *settings);
    let settingsFree: @convention(c) (Pointer?) -> Void
    // int gpiod_line_settings_set_direction(struct gpiod_line_settings *, enum gpiod_line_direction);
    let settingsSetDirection: @convention(c) (Pointer?, Int32) -> Int32
    // int gpiod_line_settings_set_edge_detection(struct gpiod_line_settings *, enum gpiod_line_edge);
    let settingsSetEdgeDetection: @convention(c) (Pointer?, Int32) -> Int32
    // int gpiod_line_settings_set_bias(struct gpiod_line_settings *, enum gpiod_line_bias);
    let settingsSetBias: @convention(c) (Pointer?, Int32) -> Int32
    // void gpiod_line_settings_set_active_low(struct gpiod_line_settings *, bool active_low);
    let settingsSetActiveLow: @convention(c) (Pointer?, Bool) -> Void
    // struct gpiod_line_config *gpiod_line_config_new(void);
    let lineConfigNew: @convention(c) () -> Pointer?
    // void gpiod_line_config_free(struct gpiod_line_config *config);
    let lineConfigFree: @convention(c) (Pointer?) -> Void
    // int gpiod_line_config_add_line_settings(struct gpiod_line_config *, const unsigned int *offsets,
    //                                         size_t num_offsets, struct gpiod_line_settings *);
    let lineConfigAddLineSettings: @convention(c) (Pointer?, UnsafePointer<UInt32>?, Int, Pointer?) -> Int32
    // struct gpiod_request_config *gpiod_request_config_new(void);
    let requestConfigNew: @convention(c) () -> Pointer?
    // void gpiod_request_config_free(struct gpiod_request_config *config);
    let requestConfigFree: @convention(c) (Pointer?) -> Void
    // void gpiod_request_config_set_consumer(struct gpiod_request_config *, const char *consumer);
    let requestConfigSetConsumer: @convention(c) (Pointer?, UnsafePointer<CChar>?) -> Void
    // struct gpiod_line_request *gpiod_chip_request_lines(struct gpiod_chip *, struct gpiod_request_config *,
    //                                                     struct gpiod_line_config *);
    let chipRequestLines: @convention(c) (Pointer?, Pointer?, Pointer?) -> Pointer?
    // void gpiod_line_request_release(struct gpiod_line_request *request);
    let requestRelease: @convention(c) (Pointer?) -> Void
    // int gpiod_line_request_get_fd(struct gpiod_line_request *request);
    let requestGetFD: @convention(c) (Pointer?) -> Int32
    // enum gpiod_line_value gpiod_line_request_get_value(struct gpiod_line_request *, unsigned int offset);
    let requestGetValue: @convention(c) (Pointer?, UInt32) -> Int32
    // int gpiod_line_request_read_edge_events(struct gpiod_line_request *, struct gpiod_edge_event_buffer *,
    //                                         size_t max_events);
    let requestReadEdgeEvents: @convention(c) (Pointer?, Pointer?, Int) -> Int32
    // struct gpiod_edge_event_buffer *gpiod_edge_event_buffer_new(size_t capacity);
    let eventBufferNew: @convention(c) (Int) -> Pointer?
    // void gpiod_edge_event_buffer_free(struct gpiod_edge_event_buffer *buffer);
    let eventBufferFree: @convention(c) (Pointer?) -> Void
    // struct gpiod_edge_event *gpiod_edge_event_buffer_get_event(struct gpiod_edge_event_buffer *,
    //                                                            unsigned long index);
    let eventBufferGetEvent: @convention(c) (Pointer?, UInt) -> Pointer?
    // enum gpiod_edge_event_type gpiod_edge_event_get_event_type(struct gpiod_edge_event *event);
    let eventGetEventType: @convention(c) (Pointer?) -> Int32
    // uint64_t gpiod_edge_event_get_timestamp_ns(struct gpiod_edge_event *event);
    let eventGetTimestampNs: @convention(c) (Pointer?) -> UInt64
    // const char *gpiod_api_version(void);
    let apiVersion: @convention(c) () -> UnsafePointer<CChar>?

    // enum gpiod_line_direction { AS_IS = 1, INPUT, OUTPUT };
    static let directionInput: Int32 = 2
    // enum gpiod_line_edge { NONE = 1, RISING, FALLING, BOTH };
    static let edgeBoth: Int32 = 4
    // enum gpiod_line_bias { AS_IS = 1, UNKNOWN, DISABLED, PULL_UP, PULL_DOWN };
    static let biasAsIs: Int32 = 1
    static let biasDisabled: Int32 = 3
    static let biasPullUp: Int32 = 4
    static let biasPullDown: Int32 = 5
    // enum gpiod_edge_event_type { RISING_EDGE = 1, FALLING_EDGE };
    static let eventRisingEdge: Int32 = 1

    init(_ handle: UnsafeMutableRawPointer) throws(LibgpiodLibrary.LoadError) {
        func load<T>(_ name: String, _ type: T.Type) throws(LibgpiodLibrary.LoadError) -> T {
            try libgpiodSymbol(handle, name, type)
        }
        chipOpen = try load("gpiod_chip_open", type(of: chipOpen))
        chipClose = try load("gpiod_chip_close", type(of: chipClose))
        chipGetInfo = try load("gpiod_chip_get_info", type(of: chipGetInfo))
        chipInfoFree = try load("gpiod_chip_info_free", type(of: chipInfoFree))
        chipInfoGetLabel = try load("gpiod_chip_info_get_label", type(of: chipInfoGetLabel))
        chipInfoGetNumLines = try load("gpiod_chip_info_get_num_lines", type(of: chipInfoGetNumLines))
        chipGetLineInfo = try load("gpiod_chip_get_line_info", type(of: chipGetLineInfo))
        lineInfoFree = try load("gpiod_line_info_free", type(of: lineInfoFree))
        lineInfoGetName = try load("gpiod_line_info_get_name", type(of: lineInfoGetName))
        lineInfoIsUsed = try load("gpiod_line_info_is_used", type(of: lineInfoIsUsed))
        lineInfoGetConsumer = try load("gpiod_line_info_get_consumer", type(of: lineInfoGetConsumer))
        settingsNew = try load("gpiod_line_settings_new", type(of: settingsNew))
        settingsFree = try load("gpiod_line_settings_free", type(of: settingsFree))
        settingsSetDirection = try load("gpiod_line_settings_set_direction", type(of: settingsSetDirection))
        settingsSetEdgeDetection = try load(
            "gpiod_line_settings_set_edge_detection", type(of: settingsSetEdgeDetection))
        settingsSetBias = try load("gpiod_line_settings_set_bias", type(of: settingsSetBias))
        settingsSetActiveLow = try load("gpiod_line_settings_set_active_low", type(of: settingsSetActiveLow))
        lineConfigNew = try load("gpiod_line_config_new", type(of: lineConfigNew))
        lineConfigFree = try load("gpiod_line_config_free", type(of: lineConfigFree))
        lineConfigAddLineSettings = try load(
            "gpiod_line_config_add_line_settings", type(of: lineConfigAddLineSettings))
        requestConfigNew = try load("gpiod_request_config_new", type(of: requestConfigNew))
        requestConfigFree = try load("gpiod_request_config_free", type(of: requestConfigFree))
        requestConfigSetConsumer = try load("gpiod_request_config_set_consumer", type(of: requestConfigSetConsumer))
        chipRequestLines = try load("gpiod_chip_request_lines", type(of: chipRequestLines))
        requestRelease = try load("gpiod_line_request_release", type(of: requestRelease))
        requestGetFD = try load("gpiod_line_request_get_fd", type(of: requestGetFD))
        requestGetValue = try load("gpiod_line_request_get_value", type(of: requestGetValue))
        requestReadEdgeEvents = try load("gpiod_line_request_read_edge_events", type(of: requestReadEdgeEvents))
        eventBufferNew = try load("gpiod_edge_event_buffer_new", type(of: eventBufferNew))
        eventBufferFree = try load("gpiod_edge_event_buffer_free", type(of: eventBufferFree))
        eventBufferGetEvent = try load("gpiod_edge_event_buffer_get_event", type(of: eventBufferGetEvent))
        eventGetEventType = try load("gpiod_edge_event_get_event_type", type(of: eventGetEventType))
        eventGetTimestampNs = try load("gpiod_edge_event_get_timestamp_ns", type(of: eventGetTimestampNs))
        apiVersion = try load("gpiod_api_version", type(of: apiVersion))
    }

    var version: String { apiVersion().map { String(cString: $0) } ?? "2.x" }

    static func bias(_ bias: LineBias) -> Int32 {
        switch bias {
        case .asIs: biasAsIs
        case .disabled: biasDisabled
        case .pullUp: biasPullUp
        case .pullDown: biasPullDown
        }
    }

    func chipInfo(path: String) throws(SystemError) -> GPIOChipInfo {
        let chip = try SystemCall.retrying("gpiod_chip_open", path) { chipOpen(path) }
        defer { chipClose(chip) }
        let info = try SystemCall.retrying("gpiod_chip_get_info", path) { chipGetInfo(chip) }
        defer { chipInfoFree(info) }
        return GPIOChipInfo(
            path: path, label: chipInfoGetLabel(info).map { String(cString: $0) } ?? "",
            lines: chipInfoGetNumLines(info))
    }

    /// Requests one line of `chip` as an input; nil with errno set on failure.
    private func requestLine(
        _ chip: Pointer, offset: UInt32, mode: GPIORequestMode, active: ActiveLevel, bias: LineBias, consumer: String
    ) -> Pointer? {
        guard let settings = settingsNew() else { return nil }
        defer { settingsFree(settings) }
        guard settingsSetDirection(settings, Self.directionInput) == 0,
            mode == .values || settingsSetEdgeDetection(settings, Self.edgeBoth) == 0,
            settingsSetBias(settings, Self.bias(bias)) == 0
        else { return nil }
        settingsSetActiveLow(settings, active == .low)
        guard let lineConfig = lineConfigNew() else { return nil }
        defer { lineConfigFree(lineConfig) }
        var offsets = [offset]
        guard lineConfigAddLineSettings(lineConfig, &offsets, 1, settings) == 0 else { return nil }
        guard let requestConfig = requestConfigNew() else { return nil }
        defer { requestConfigFree(requestConfig) }
        requestConfigSetConsumer(requestConfig, consumer)
        return chipRequestLines(chip, requestConfig, lineConfig)
    }

    func request(path: String, _ config: GPIOLineConfig, mode: GPIORequestMode, consumer: String)
        throws(GPIORequestError) -> any GPIORequestedLine
    {
        let subject = "\(config.chip) line \(config.line)"
        func failure(_ reason: GPIORequestError.Reason) -> GPIORequestError {
            GPIORequestError(chip: config.chip, line: config.line, reason: reason)
        }
        let chip: Pointer
        do throws(SystemError) {
            chip = try SystemCall.retrying("gpiod_chip_open", path) { chipOpen(path) }
        } catch {
            throw failure(.opening(path, error))
        }
        // The request outlives the chip handle: v2 requests own their descriptor.
        defer { chipClose(chip) }
        var label = ""
        var lines = 0
        if let info = chipGetInfo(chip) {
            label = chipInfoGetLabel(info).map { String(cString: $0) } ?? ""
            lines = chipInfoGetNumLines(info)
            chipInfoFree(info)
        }
        guard config.line >= 0, config.line < lines else { throw failure(.noSuchLine(lines: lines)) }
        let offset = UInt32(config.line)
        var lineName: String?
        if let lineInfo = chipGetLineInfo(chip, offset) {
            lineName = lineInfoGetName(lineInfo).map { String(cString: $0) }
            lineInfoFree(lineInfo)
        }
        let info = GPIOLineInfo(chipPath: path, chipLabel: label, chipLines: lines, lineName: lineName)
        let request: Pointer
        do throws(SystemError) {
            request = try SystemCall.retrying("gpiod_chip_request_lines", subject) {
                requestLine(
                    chip, offset: offset, mode: mode, active: config.active, bias: config.bias, consumer: consumer)
            }
        } catch {
            throw failure(
                .diagnose(
                    error, mode: mode, bias: config.bias, chipPath: path,
                    probe: { bias in
                        guard
                            let probe = requestLine(
                                chip, offset: offset, mode: .values, active: config.active, bias: bias,
                                consumer: consumer)
                        else { return false }
                        requestRelease(probe)
                        return true
                    },
                    consumer: {
                        guard let lineInfo = chipGetLineInfo(chip, offset) else { return nil }
                        defer { lineInfoFree(lineInfo) }
                        guard lineInfoIsUsed(lineInfo) else { return nil }
                        return lineInfoGetConsumer(lineInfo).map { String(cString: $0) }
                    }))
        }
        var fd: Int32 = -1
        var buffer: Pointer?
        if mode == .edges {
            fd = requestGetFD(request)
            buffer = eventBufferNew(LibgpiodGPIODriver.batchSize)
            do throws(SystemError) {
                if buffer == nil {
                    throw SystemError(call: "gpiod_edge_event_buffer_new", subject: subject, errno: ENOMEM)
                }
                try LibgpiodBackend.makeNonblocking(fd, subject)
            } catch {
                if let buffer { eventBufferFree(buffer) }
                requestRelease(request)
                throw failure(.failed(error))
            }
        }
        return LibgpiodV2Line(
            api: self, request: request, offset: offset, buffer: buffer, fd: fd, info: info, subject: subject)
    }
}

/// A line requested through libgpiod 2.x: the request and its event buffer.
final class LibgpiodV2Line: GPIORequestedLine {
    private let api: LibgpiodV2
    private let request: OpaquePointer
    private let offset: UInt32
    private let buffer: OpaquePointer?
    let eventFD: Int32
    let info: GPIOLineInfo
    private let subject: String
    private var released = false

    init(
        api: LibgpiodV2, request: OpaquePointer, offset: UInt32, buffer: OpaquePointer?, fd: Int32, info: GPIOLineInfo,
        subject: String
    ) {
        self.api = api
        self.request = request
        self.offset = offset
        self.buffer = buffer
        self.eventFD = fd
        self.info = info
        self.subject = subject
    }

    deinit { release() }

    func readEvents(into events: inout [GPIOKernelEvent]) throws(SystemError) -> Int {
        guard let buffer, !released else { return 0 }
        let wanted = min(events.count, LibgpiodGPIODriver.batchSize)
        let count: Int32
        do throws(SystemError) {
            count = try SystemCall.retrying("gpiod_line_request_read_edge_events", subject) {
                api.requestReadEdgeEvents(request, buffer, wanted)
            }
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return 0 }
            throw error
        }
        for i in 0..<Int(count) {
            let event = api.eventBufferGetEvent(buffer, UInt(i))
            events[i] = GPIOKernelEvent(
                timestampNs: Int64(truncatingIfNeeded: api.eventGetTimestampNs(event)),
                rising: api.eventGetEventType(event) == LibgpiodV2.eventRisingEdge)
        }
        return Int(count)
    }

    func logicalValue() throws(SystemError) -> Bool {
        try SystemCall.retrying("gpiod_line_request_get_value", subject) { api.requestGetValue(request, offset) } != 0
    }

    func release() {
        guard !released else { return }
        released = true
        api.requestRelease(request)
        if let buffer { api.eventBufferFree(buffer) }
    }
}
