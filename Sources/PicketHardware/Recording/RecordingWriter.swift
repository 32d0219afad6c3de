import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// Writes raw inputs as a recording (PRODUCT.md section 2), as they arrive.
///
/// Every line goes out in one `write(2)`, so a recorder killed at any moment
/// leaves a valid file up to its last full line; the file is synced to disk
/// every `syncIntervalNs` and at the end. Serial reads that the hot path
/// carried in several records are joined back into one line, as one `read()`
/// returned them. Inputs from different sources reach the hot path slightly
/// out of order (one ring per source, drained in turn): `write(batch:)` puts
/// one drain's inputs in time order (stable, so one source's order and one
/// read's records stay as they were), and a time earlier than one already
/// written is raised to it, since a recording may not go back in time.
public final class RecordingWriter {
    public let path: String
    public let startedUTC: Int64
    private let configuration: PicketConfiguration
    private let fd: Int32
    private var lastT: Int64 = 0
    private var pending: (port: Int, t: Int64, bytes: [UInt8])?
    private var lastSync: Int64
    public var syncIntervalNs: Int64 = 1_000_000_000
    public private(set) var inputsWritten = 0
    public private(set) var bytesWritten = 0

    public init(path: String, configuration: PicketConfiguration, startedUTC: Int64) throws(SystemError) {
        self.path = path
        self.configuration = configuration
        self.startedUTC = startedUTC
        lastSync = startedUTC
        fd = try SystemCall.retrying("open", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        var header = JSONWriter()
        header.int("picket_recording", 1)
        header.string("started_utc", UTCTime.format(startedUTC))
        header.string("box", configuration.box)
        do {
            try writeLine(header.finish())
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Writes the inputs of one drain of the hot path in time order.
    public func write(batch: [RawInput]) throws(SystemError) {
        var ordered = batch
        if !ordered.isEmpty {
            // Insertion sort: stable, and a drain is nearly in order already.
            for i in 1..<ordered.count {
                let item = ordered[i]
                var j = i - 1
                while j >= 0 && ordered[j].t > item.t {
                    ordered[j + 1] = ordered[j]
                    j -= 1
                }
                ordered[j + 1] = item
            }
        }
        for input in ordered { try write(input) }
    }

    /// Writes one input from the hot path (UTC times).
    public func write(_ input: RawInput) throws(SystemError) {
        switch input.kind {
        case .edge:
            try flushPending()
            let line = Int(input.source)
            guard line < configuration.gpio.count else { return }
            let g = configuration.gpio[line]
            var gpio = JSONWriter()
            gpio.string("chip", g.chip)
            gpio.int("line", g.line)
            gpio.string("edge", input.rising ? "rising" : "falling")
            var w = JSONWriter()
            w.int("t", relative(input.t))
            w.raw("gpio", gpio.finish())
            try writeLine(w.finish())
        case .serial:
            let port = Int(input.source)
            guard port < configuration.serial.count else { return }
            let bytes = input.withBytes { Array($0) }
            if input.continues, var chunk = pending, chunk.port == port {
                pending = nil
                chunk.bytes += bytes
                pending = chunk
            } else {
                try flushPending()
                pending = (port, input.t, bytes)
            }
        case .serialGap:
            try flushPending()
            let port = Int(input.source)
            guard port < configuration.serial.count else { return }
            var serial = JSONWriter()
            serial.string("port", configuration.serial[port].port)
            serial.string("text", "")
            var w = JSONWriter()
            w.int("t", relative(input.t))
            w.raw("serial", serial.finish())
            w.bool("gap", true)
            try writeLine(w.finish())
        }
        if input.t - lastSync >= syncIntervalNs {
            try sync()
            lastSync = input.t
        }
    }

    /// Writes a serial read held back for possible continuation records;
    /// call it when the hot path is idle.
    public func flushPending() throws(SystemError) {
        guard let chunk = pending else { return }
        pending = nil
        var serial = JSONWriter()
        serial.string("port", configuration.serial[chunk.port].port)
        if let text = String(validating: chunk.bytes, as: UTF8.self) {
            serial.string("text", text)
        } else {
            serial.string("b64", Base64.encode(chunk.bytes))
        }
        var w = JSONWriter()
        w.int("t", relative(chunk.t))
        w.raw("serial", serial.finish())
        try writeLine(w.finish())
    }

    /// Writes what is held back and syncs the file to disk.
    public func finish() throws(SystemError) {
        try flushPending()
        try sync()
    }

    private func sync() throws(SystemError) {
        _ = try SystemCall.retrying("fsync", path) { fsync(fd) }
    }

    private func relative(_ t: Int64) -> Int64 {
        lastT = max(lastT, t - startedUTC)
        return lastT
    }

    private func writeLine(_ line: String) throws(SystemError) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let n = try SystemCall.retrying("write", path) {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
        inputsWritten += 1
        bytesWritten += bytes.count
    }
}

/// RFC 4648 base64, for serial bytes that are not UTF-8. Written by hand
/// to keep Foundation out of the recorder's path; it is twenty lines.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
