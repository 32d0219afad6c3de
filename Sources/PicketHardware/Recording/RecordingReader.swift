import Foundation
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// The first line of a recording.
public struct RecordingHeader: Sendable, Equatable {
    public var version: Int
    /// UTC nanoseconds of `t = 0`.
    public var startedUTC: Int64
    public var box: String?

    public init(version: Int = 1, startedUTC: Int64, box: String?) {
        self.version = version
        self.startedUTC = startedUTC
        self.box = box
    }
}

/// One input line of a recording, resolved against the configuration.
public enum RecordedInput: Sendable, Equatable {
    /// `line` is the index in the configuration's `gpio`.
    case edge(t: Int64, line: Int, rising: Bool)
    /// `port` is the index in the configuration's `serial`.
    case serial(t: Int64, port: Int, bytes: [UInt8])
    /// The port's byte stream broke here (a live reconnect): written by
    /// `picket record` as a serial line with `"gap": true`, a key that
    /// readers which do not know it ignore.
    case gap(t: Int64, port: Int)

    public var t: Int64 {
        switch self {
        case .edge(let t, _, _), .serial(let t, _, _), .gap(let t, _): t
        }
    }
}

/// Reads a recording (PRODUCT.md section 2) line by line without loading it whole.
///
/// Lines come from one reused block buffer (`LineBuffer`); the input lines'
/// few shapes go through a byte-level scanner (`RecordingLineScanner`), and
/// only a line it does not recognise through the general JSON parser, which
/// also words every problem.
///
/// A bad line does not stop the reading at once: the rest of the file is
/// still checked (but not delivered) so the error lists the first
/// `maximumProblems` bad lines together, and the technician fixes them in one go.
public final class RecordingReader {
    public static let maximumProblems = 20
    public let path: String
    public let header: RecordingHeader
    private let configuration: PicketConfiguration
    private let lineIndex: [String: Int]
    private let portIndex: [String: Int]
    private let lines: LineBuffer
    private let scanner: RecordingLineScanner
    /// Off: every line through the general parser (tests compare the two).
    var usesScanner = true
    private var lineNumber = 0
    /// Lines read so far (including the header and blank lines).
    public var linesRead: Int { lineNumber }
    /// Bytes of the file read so far, up to the end of the last line read (for a progress display).
    public private(set) var bytesRead = 0

    public init(path: String, configuration: PicketConfiguration) throws(RecordingError) {
        self.path = path
        self.configuration = configuration
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missing(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .missing(file: path, reason: "is a directory") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .missing(file: path, reason: "permission denied or unreadable") }
        let buffer = LineBuffer(fd: fd, path: path)
        self.lines = buffer
        var lines: [String: Int] = [:]
        for (i, g) in configuration.gpio.enumerated() { lines["\(g.chip)\u{0}\(g.line)"] = i }
        lineIndex = lines
        var ports: [String: Int] = [:]
        for (i, s) in configuration.serial.enumerated() { ports[s.port] = i }
        portIndex = ports
        // The header is the first line that is not blank (blank lines are
        // ignored everywhere); a file without one is not a recording.
        var header: RecordingHeader?
        var problem: RecordingProblem?
        var line = 0
        var blank = true
        var read = 0
        while blank {
            let found: Bool
            do {
                found = try buffer.next { whole in
                    line += 1
                    read += whole.count + 1
                    // A byte-order mark that an editor put at the file's start is not content.
                    let bom = line == 1 && whole.starts(with: [0xEF, 0xBB, 0xBF])
                    let bytes = bom ? UnsafeRawBufferPointer(rebasing: whole[3...]) : whole
                    blank = Self.isBlank(bytes)
                    guard !blank else { return }
                    do throws(RecordingProblem) {
                        header = try Self.parseHeader(bytes, path: path, line: line)
                    } catch {
                        problem = error
                    }
                }
            } catch let error as RecordingError {
                throw error
            } catch {
                throw .io(file: path, reason: "\(error)")
            }
            if !found {
                throw .invalid(
                    [
                        RecordingProblem(
                            file: path, line: max(1, line), message: "empty file, expected a recording header")
                    ],
                    more: 0)
            }
        }
        if let problem { throw .invalid([problem], more: 0) }
        self.header = header!
        self.lineNumber = line
        self.bytesRead = read
        scanner = RecordingLineScanner(configuration: configuration, startedUTC: header!.startedUTC)
    }

    /// Calls `body` with every input in file order. Throws `.invalid` with
    /// every bad line found (up to `maximumProblems`) after the whole file is
    /// read; inputs after the first bad line are checked but not delivered.
    public func forEachInput(_ body: (RecordedInput) throws -> Void) throws {
        try forEachScannedInput { input in
            switch input.kind {
            case .edge: try body(.edge(t: input.t, line: input.index, rising: input.rising))
            case .serial: try body(.serial(t: input.t, port: input.index, bytes: Array(input.bytes)))
            case .gap: try body(.gap(t: input.t, port: input.index))
            }
        }
    }

    /// `forEachInput` without copying: a serial input's bytes point into
    /// the reader's buffers, valid while `body` runs.
    func forEachScannedInput(_ body: (ScannedInput) throws -> Void) throws {
        var problems: [RecordingProblem] = []
        var more = 0
        var lastT: Int64 = 0
        var deliveryError: (any Error)?
        let fast = usesScanner ? scanner : nil
        while deliveryError == nil,
            try lines.next({ bytes in
                lineNumber += 1
                bytesRead += bytes.count + 1
                if let input = fast?.scan(bytes, lastT: lastT) {
                    lastT = input.t
                    guard problems.isEmpty else { return }
                    do { try body(input) } catch { deliveryError = error }
                    return
                }
                do throws(RecordingProblem) {
                    guard let input = try parseInput(bytes, lastT: lastT) else { return }
                    lastT = input.t
                    guard problems.isEmpty else { return }
                    do {
                        switch input {
                        case .edge(let t, let line, let rising):
                            try body(
                                ScannedInput(
                                    kind: .edge, t: t, index: line, rising: rising, bytes: .init(start: nil, count: 0)))
                        case .serial(let t, let port, let bytes):
                            try bytes.withUnsafeBytes {
                                try body(ScannedInput(kind: .serial, t: t, index: port, rising: false, bytes: $0))
                            }
                        case .gap(let t, let port):
                            try body(
                                ScannedInput(
                                    kind: .gap, t: t, index: port, rising: false, bytes: .init(start: nil, count: 0)))
                        }
                    } catch { deliveryError = error }
                } catch {
                    if problems.count < Self.maximumProblems { problems.append(error) } else { more += 1 }
                }
            })
        {}
        if let deliveryError { throw deliveryError }
        if !problems.isEmpty { throw RecordingError.invalid(problems, more: more) }
    }

    /// Reads the whole recording without delivering anything: throws what
    /// `forEachInput` would (every bad line), so a replay can refuse a bad
    /// recording before it writes anything.
    public func check() throws {
        // Serial texts are validated, not decoded: nothing is delivered.
        scanner.validatesOnly = true
        defer { scanner.validatesOnly = false }
        try forEachScannedInput { _ in }
    }

    // MARK: - Lines

    private static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String, line: Int = 1) throws(RecordingProblem)
        -> RecordingHeader
    {
        func problem(_ message: String) -> RecordingProblem {
            RecordingProblem(file: path, line: line, message: message)
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw problem("header is not valid JSON: \(error)")
        }
        guard case .object = value else { throw problem("header must be a JSON object") }
        guard let versionValue = value["picket_recording"] else {
            throw problem("not a Picket recording: the header has no \"picket_recording\" key")
        }
        guard let version = versionValue.int else { throw problem("\"picket_recording\" must be the integer 1") }
        guard version == 1 else { throw problem("unsupported recording version \(version) (this picket reads 1)") }
        guard let started = value["started_utc"]?.string else {
            throw problem("header needs \"started_utc\", an RFC 3339 UTC time")
        }
        guard let startedNs = UTCTime.parse(started) else {
            if UTCTime.parse(started, saturating: true) != nil {
                throw problem(
                    "\"started_utc\" is out of range: \(started) (picket's times run from "
                        + "\(UTCTime.format(Int64.min)) to \(UTCTime.format(Int64.max)))")
            }
            throw problem("\"started_utc\" is not an RFC 3339 time: \(started)")
        }
        if let box = value["box"], box.string == nil, box != .null {
            throw problem("\"box\" must be a string")
        }
        return RecordingHeader(version: 1, startedUTC: startedNs, box: value["box"]?.string)
    }

    private func parseInput(_ bytes: UnsafeRawBufferPointer, lastT: Int64) throws(RecordingProblem)
        -> RecordedInput?
    {
        func problem(_ message: String) -> RecordingProblem {
            RecordingProblem(file: path, line: lineNumber, message: message)
        }
        if Self.isBlank(bytes) { return nil }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw problem("not valid JSON: \(error)") }
        guard case .object = value else { throw problem("an input line must be a JSON object") }
        guard let tValue = value["t"] else { throw problem("missing \"t\" (nanoseconds since started_utc)") }
        guard let t = tValue.int, t >= 0 else {
            throw problem("\"t\" must be a whole number of nanoseconds >= 0, got \(Self.show(tValue))")
        }
        guard t >= lastT else { throw problem("\"t\" goes back in time: \(t) after \(lastT)") }
        guard t <= Int64.max - max(0, header.startedUTC) else {
            throw problem("\"t\" is too large: \(t) ns after started_utc is past the year 2262")
        }
        switch (value["gpio"], value["serial"]) {
        case (.some, .some): throw problem("an input line holds either \"gpio\" or \"serial\", not both")
        case (nil, nil): throw problem("an input line needs \"gpio\" or \"serial\"")
        case (.some(let gpio), nil):
            guard case .object = gpio else { throw problem("\"gpio\" must be an object") }
            guard let chip = gpio["chip"]?.string else { throw problem("\"gpio.chip\" must be a string") }
            guard let line = gpio["line"]?.int else { throw problem("\"gpio.line\" must be a whole number") }
            let rising: Bool
            switch gpio["edge"]?.string {
            case "rising": rising = true
            case "falling": rising = false
            default:
                throw problem("\"gpio.edge\" must be \"rising\" or \"falling\", got \(Self.show(gpio["edge"]))")
            }
            guard let index = lineIndex["\(chip)\u{0}\(line)"] else {
                throw problem("GPIO \(chip) line \(line) is not in the configuration")
            }
            return .edge(t: t, line: index, rising: rising)
        case (nil, .some(let serial)):
            guard case .object = serial else { throw problem("\"serial\" must be an object") }
            guard let port = serial["port"]?.string else { throw problem("\"serial.port\" must be a string") }
            guard let index = portIndex[port] else {
                throw problem("serial port \(port) is not in the configuration")
            }
            if value["gap"] == .bool(true) { return .gap(t: t, port: index) }
            switch (serial["text"], serial["b64"]) {
            case (.some(.string(let text)), nil):
                return .serial(t: t, port: index, bytes: Array(text.utf8))
            case (nil, .some(.string(let b64))):
                guard let bytes = StrictBase64.decode(b64) else {
                    throw problem(
                        "\"serial.b64\" is not valid base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a "
                            + "multiple of 4 characters)")
                }
                return .serial(t: t, port: index, bytes: bytes)
            case (.some, .some): throw problem("\"serial\" holds either \"text\" or \"b64\", not both")
            case (nil, nil): throw problem("\"serial\" needs \"text\" or \"b64\"")
            default: throw problem("\"serial.text\" and \"serial.b64\" must be strings")
            }
        }
    }

    private static func show(_ value: JSONValue?) -> String {
        switch value {
        case nil: "nothing"
        case .null?: "null"
        case .bool(let b)?: "\(b)"
        case .int(let i)?: "\(i)"
        case .double(let d)?: "\(d)"
        case .string(let s)?: "\"\(s)\""
        case .array?: "an array"
        case .object?: "an object"
        }
    }
}
