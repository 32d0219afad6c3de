import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// One input line as the scanner found it, pointing into the reader's
/// buffers: valid only while the callback that receives it runs.
struct ScannedInput {
    enum Kind { case edge, serial, gap }
    var kind: Kind
    var t: Int64
    /// The GPIO line's or serial port's index in the configuration.
    var index: Int
    var rising: Bool
    var bytes: UnsafeRawBufferPointer
}

/// A byte-level scanner for the few shapes a recording's input lines take
/// (PRODUCT.md section 2): `t`, then `gpio` with `chip`, `line`, `edge` or
/// `serial` with `port` and `text` or `b64`, and the recorder's `gap`, keys
/// in any order, any JSON whitespace. It parses the known keys in place,
/// without building JSON values, and decodes `text` escapes and `b64` into
/// one reused buffer.
///
/// It only ever accepts: a line it does not fully understand (an unknown
/// key, a duplicated key, a `\u` surrogate, non-ASCII text, a number with a
/// fraction) or that is wrong in any way gives nil, and the reader parses it
/// with the general JSON parser, which accepts it the same way or names the
/// problem with today's exact message and line number.
final class RecordingLineScanner {
    private struct GPIOKey {
        var chip: [UInt8]
        var line: Int64
        var index: Int
    }

    private let gpio: [GPIOKey]
    private let ports: [(port: [UInt8], index: Int)]
    /// The largest `t` whose UTC time (`started_utc + t`) picket can hold.
    private let maximumT: Int64
    private var scratch: UnsafeMutableRawPointer
    private var scratchCapacity = 4096
    /// Only checks lines (`RecordingReader.check()`): a serial input's text
    /// is validated, not decoded, and its bytes are not delivered (empty).
    /// Accepts and refuses exactly the lines the decoding scan does.
    var validatesOnly = false

    init(configuration: PicketConfiguration, startedUTC: Int64) {
        // Later entries win, as in the reader's dictionaries.
        gpio = configuration.gpio.enumerated().reversed().map {
            GPIOKey(chip: Array($1.chip.utf8), line: Int64($1.line), index: $0)
        }
        ports = configuration.serial.enumerated().reversed().map { (port: Array($1.port.utf8), index: $0) }
        maximumT = Int64.max - max(0, startedUTC)
        scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCapacity, alignment: 16)
    }

    deinit { scratch.deallocate() }

    // MARK: - Lines

    /// The input on `line`, or nil when the general parser must decide.
    func scan(_ line: UnsafeRawBufferPointer, lastT: Int64) -> ScannedInput? {
        guard let base = line.baseAddress else { return nil }
        var c = Cursor(p: base.assumingMemoryBound(to: UInt8.self), n: line.count)
        guard c.eat(UInt8(ascii: "{")) else { return nil }
        var t: Int64?
        var gap: Bool?
        var isGPIO = false
        var isSerial = false
        // gpio
        var chip: Range<Int>?
        var lineNumber: Int64?
        var rising: Bool?
        // serial
        var port: Range<Int>?
        var text: Range<Int>?
        var textEscaped = false
        var b64: Range<Int>?

        repeat {
            guard let key = c.key() else { return nil }
            switch key {
            case .t:
                guard t == nil, let v = c.integer() else { return nil }
                t = v
            case .gap:
                guard gap == nil, let v = c.boolean() else { return nil }
                gap = v
            case .gpio:
                guard !isGPIO, c.eat(UInt8(ascii: "{")) else { return nil }
                isGPIO = true
                repeat {
                    guard let key = c.key() else { return nil }
                    switch key {
                    case .chip:
                        guard chip == nil, let s = c.plainString() else { return nil }
                        chip = s
                    case .line:
                        guard lineNumber == nil, let v = c.integer() else { return nil }
                        lineNumber = v
                    case .edge:
                        guard rising == nil, let s = c.plainString() else { return nil }
                        if c.equals(s, "rising") {
                            rising = true
                        } else if c.equals(s, "falling") {
                            rising = false
                        } else {
                            return nil
                        }
                    default: return nil
                    }
                } while c.eat(UInt8(ascii: ","))
                guard c.eat(UInt8(ascii: "}")) else { return nil }
            case .serial:
                guard !isSerial, c.eat(UInt8(ascii: "{")) else { return nil }
                isSerial = true
                repeat {
                    guard let key = c.key() else { return nil }
                    switch key {
                    case .port:
                        guard port == nil, let s = c.plainString() else { return nil }
                        port = s
                    case .text:
                        guard text == nil, let (s, escaped) = c.string() else { return nil }
                        text = s
                        textEscaped = escaped
                    case .b64:
                        guard b64 == nil, let s = c.plainString() else { return nil }
                        b64 = s
                    default: return nil
                    }
                } while c.eat(UInt8(ascii: ","))
                guard c.eat(UInt8(ascii: "}")) else { return nil }
            default: return nil
            }
        } while c.eat(UInt8(ascii: ","))
        guard c.eat(UInt8(ascii: "}")), c.atEnd() else { return nil }

        guard let t, t >= lastT, t <= maximumT else { return nil }
        if isGPIO {
            guard !isSerial, let chip, let lineNumber, let rising,
                let index = gpioIndex(chip: c.bytes(chip), line: lineNumber)
            else { return nil }
            return ScannedInput(kind: .edge, t: t, index: index, rising: rising, bytes: Self.none)
        }
        guard isSerial, let port, let index = portIndex(c.bytes(port)) else { return nil }
        // Escapes are part of the JSON: a bad one makes the line invalid even in a gap.
        var decodedText: UnsafeRawBufferPointer?
        if let text {
            if validatesOnly {
                guard !textEscaped || Self.escapesValid(c.bytes(text)) else { return nil }
                decodedText = Self.none
            } else {
                guard let decoded = textEscaped ? unescape(c.bytes(text)) : c.bytes(text) else { return nil }
                decodedText = decoded
            }
        }
        if gap == true { return ScannedInput(kind: .gap, t: t, index: index, rising: false, bytes: Self.none) }
        let bytes: UnsafeRawBufferPointer
        switch (decodedText, b64) {
        case (let text?, nil):
            bytes = text
        case (nil, let b64?):
            guard let decoded = decodeBase64(c.bytes(b64)) else { return nil }
            bytes = decoded
        default: return nil
        }
        return ScannedInput(kind: .serial, t: t, index: index, rising: false, bytes: bytes)
    }

    private static var none: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: nil, count: 0) }

    private func gpioIndex(chip: UnsafeRawBufferPointer, line: Int64) -> Int? {
        for key in gpio where key.line == line && key.chip.count == chip.count {
            if chip.isEmpty { return key.index }
            if key.chip.withUnsafeBytes({ memcmp($0.baseAddress!, chip.baseAddress!, chip.count) == 0 }) {
                return key.index
            }
        }
        return nil
    }

    private func portIndex(_ port: UnsafeRawBufferPointer) -> Int? {
        for key in ports where key.port.count == port.count {
            if port.isEmpty { return key.index }
            if key.port.withUnsafeBytes({ memcmp($0.baseAddress!, port.baseAddress!, port.count) == 0 }) {
                return key.index
            }
        }
        return nil
    }

    private func reserve(_ count: Int) {
        guard count > scratchCapacity else { return }
        scratch.deallocate()
        while scratchCapacity < count { scratchCapacity *= 2 }
        scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCapacity, alignment: 16)
    }

    // MARK: - Decoding

    /// A JSON string's body with escapes resolved; nil for a bad escape or
    /// a surrogate (the general parser names those).
    private func unescape(_ raw: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        // Every escape is at least as long as what it stands for (`\uXXXX`: at most 3 bytes).
        reserve(raw.count)
        let out = scratch.assumingMemoryBound(to: UInt8.self)
        var o = 0
        var k = 0
        let n = raw.count
        guard let base = raw.baseAddress else { return raw }
        while k < n {
            // The bytes up to the next backslash as they are, in one copy.
            let end = memchr(base + k, 0x5C, n - k).map { base.distance(to: UnsafeRawPointer($0)) } ?? n
            if end > k {
                memcpy(out + o, base + k, end - k)
                o += end - k
                k = end
                guard k < n else { break }
            }
            guard k + 1 < n else { return nil }
            let e = raw[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "\""): out[o] = 0x22
            case UInt8(ascii: "\\"): out[o] = 0x5C
            case UInt8(ascii: "/"): out[o] = 0x2F
            case UInt8(ascii: "b"): out[o] = 0x08
            case UInt8(ascii: "f"): out[o] = 0x0C
            case UInt8(ascii: "n"): out[o] = 0x0A
            case UInt8(ascii: "r"): out[o] = 0x0D
            case UInt8(ascii: "t"): out[o] = 0x09
            case UInt8(ascii: "u"):
                guard let v = Self.hex4(raw, at: k) else { return nil }
                k += 4
                switch v {
                case 0..<0x80:
                    out[o] = UInt8(v)
                case 0x80..<0x800:
                    out[o] = UInt8(0xC0 | v >> 6)
                    out[o + 1] = UInt8(0x80 | v & 0x3F)
                    o += 1
                case 0xD800..<0xE000: return nil
                default:
                    out[o] = UInt8(0xE0 | v >> 12)
                    out[o + 1] = UInt8(0x80 | v >> 6 & 0x3F)
                    out[o + 2] = UInt8(0x80 | v & 0x3F)
                    o += 2
                }
            default: return nil
            }
            o += 1
        }
        return UnsafeRawBufferPointer(start: scratch, count: o)
    }

    /// The four hex digits of a `\u` escape at `k`, or nil when there are
    /// not four or one is not a hex digit.
    static func hex4(_ raw: UnsafeRawBufferPointer, at k: Int) -> UInt32? {
        guard k + 4 <= raw.count else { return nil }
        var v: UInt32 = 0
        for j in k..<(k + 4) {
            let d: UInt8
            switch raw[j] {
            case 48...57: d = raw[j] - 48
            case 65...70: d = raw[j] - 55
            case 97...102: d = raw[j] - 87
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Whether `unescape` takes `raw` (it gives nil exactly where this is
    /// false), without writing what it stands for.
    static func escapesValid(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard let base = raw.baseAddress else { return true }
        let n = raw.count
        var k = 0
        while k < n {
            // To the next backslash; what lies between is taken as it is.
            guard let found = memchr(base + k, 0x5C, n - k) else { return true }
            k = base.distance(to: UnsafeRawPointer(found))
            guard k + 1 < n else { return false }
            let e = raw[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                guard let v = hex4(raw, at: k) else { return false }
                k += 4
                if v >= 0xD800, v < 0xE000 { return false }
            default: return false
            }
        }
        return true
    }

    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        return table
    }()

    /// Strict RFC 4648 base64 (as `StrictBase64`); nil when it is not.
    private func decodeBase64(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let n = text.count
        guard n % 4 == 0 else { return nil }
        reserve(n / 4 * 3)
        let out = scratch.assumingMemoryBound(to: UInt8.self)
        var o = 0
        var i = 0
        return Self.base64Values.withUnsafeBufferPointer { table -> UnsafeRawBufferPointer? in
            while i < n {
                let a = table[Int(text[i])]
                let b = table[Int(text[i + 1])]
                guard a < 64, b < 64 else { return nil }
                let c3 = text[i + 2]
                let c4 = text[i + 3]
                if i + 4 == n, c4 == UInt8(ascii: "=") {
                    if c3 == UInt8(ascii: "=") {
                        // One byte; the padding's bits must be zero.
                        guard b & 0x0F == 0 else { return nil }
                        out[o] = a << 2 | b >> 4
                        o += 1
                    } else {
                        let c = table[Int(c3)]
                        guard c < 64, c & 0x03 == 0 else { return nil }
                        out[o] = a << 2 | b >> 4
                        out[o + 1] = b << 4 | c >> 2
                        o += 2
                    }
                } else {
                    let c = table[Int(c3)]
                    let d = table[Int(c4)]
                    guard c < 64, d < 64 else { return nil }
                    out[o] = a << 2 | b >> 4
                    out[o + 1] = b << 4 | c >> 2
                    out[o + 2] = c << 6 | d
                    o += 3
                }
                i += 4
            }
            return UnsafeRawBufferPointer(start: scratch, count: o)
        }
    }
}

/// A position in one line.
private struct Cursor {
    enum Key { case t, gap, gpio, serial, chip, line, edge, port, text, b64 }

    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0

    init(p: UnsafePointer<UInt8>, n: Int) {
        self.p = p
        self.n = n
    }

    @inline(__always)
    mutating func skipSpace() {
        while i < n, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D { i += 1 }
    }

    /// Takes `c` after any whitespace.
    @inline(__always)
    mutating func eat(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < n, p[i] == c else { return false }
        i += 1
        return true
    }

    mutating func atEnd() -> Bool {
        skipSpace()
        return i == n
    }

    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: p + range.lowerBound, count: range.count)
    }

    func equals(_ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        return memcmp(p + range.lowerBound, word.utf8Start, range.count) == 0
    }

    /// A key the scanner knows and its colon.
    mutating func key() -> Key? {
        guard let s = plainString(), eat(UInt8(ascii: ":")) else { return nil }
        let a = p[s.lowerBound]
        switch s.count {
        case 1: return a == UInt8(ascii: "t") ? .t : nil
        case 3:
            if equals(s, "gap") { return .gap }
            if equals(s, "b64") { return .b64 }
            return nil
        case 4:
            switch a {
            case UInt8(ascii: "g"): return equals(s, "gpio") ? .gpio : nil
            case UInt8(ascii: "c"): return equals(s, "chip") ? .chip : nil
            case UInt8(ascii: "l"): return equals(s, "line") ? .line : nil
            case UInt8(ascii: "e"): return equals(s, "edge") ? .edge : nil
            case UInt8(ascii: "p"): return equals(s, "port") ? .port : nil
            case UInt8(ascii: "t"): return equals(s, "text") ? .text : nil
            default: return nil
            }
        case 6: return equals(s, "serial") ? .serial : nil
        default: return nil
        }
    }

    /// A string of printable ASCII without escapes: its body's range.
    mutating func plainString() -> Range<Int>? {
        guard eat(UInt8(ascii: "\"")) else { return nil }
        let start = i
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return start..<(i - 1)
            }
            guard c >= 0x20, c < 0x80, c != UInt8(ascii: "\\") else { return nil }
            i += 1
        }
        return nil
    }

    /// Whether none of a word's eight bytes is a quote, a backslash, a
    /// control byte (< 0x20) or non-ASCII (>= 0x80): the bytes `string()`
    /// passes over without a look (SWAR: a byte is zero after the XOR where
    /// it matched; `b - 0x20` borrows into the top bit where `b < 0x20`).
    @inline(__always)
    static func plainWord(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & high != 0 }
        let quote = hasZero(w ^ (ones &* 0x22))
        let backslash = hasZero(w ^ (ones &* 0x5C))
        let control = (w &- ones &* 0x20) & ~w & high != 0
        return w & high == 0 && !quote && !backslash && !control
    }

    /// A string of ASCII with escapes (resolved later): its body's range.
    mutating func string() -> (Range<Int>, escaped: Bool)? {
        guard eat(UInt8(ascii: "\"")) else { return nil }
        let start = i
        var escaped = false
        while i < n {
            // Eight plain bytes at a time (no quote, backslash, control or
            // non-ASCII byte among them): most of a serial line's text.
            while n - i >= 8, Self.plainWord(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) { i += 8 }
            guard i < n else { break }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return (start..<(i - 1), escaped)
            }
            guard c >= 0x20, c < 0x80 else { return nil }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 1
            }
            i += 1
        }
        return nil
    }

    /// A JSON integer >= 0 that fits Int64 (no fraction, no exponent).
    mutating func integer() -> Int64? {
        skipSpace()
        guard i < n else { return nil }
        let first = p[i]
        guard first >= 48, first <= 57 else { return nil }
        if first == 48 {
            i += 1
        } else {
            var v: Int64 = 0
            while i < n, p[i] >= 48, p[i] <= 57 {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(p[i] - 48))
                guard !o1, !o2 else { return nil }
                v = s
                i += 1
            }
            guard i == n || (p[i] != UInt8(ascii: ".") && p[i] | 0x20 != UInt8(ascii: "e")) else { return nil }
            return v
        }
        guard i == n || (p[i] != UInt8(ascii: ".") && p[i] | 0x20 != UInt8(ascii: "e")) else { return nil }
        return 0
    }

    /// `true` or `false`.
    mutating func boolean() -> Bool? {
        skipSpace()
        if i + 4 <= n, memcmp(p + i, "true", 4) == 0 {
            i += 4
            return true
        }
        if i + 5 <= n, memcmp(p + i, "false", 5) == 0 {
            i += 5
            return false
        }
        return nil
    }
}
