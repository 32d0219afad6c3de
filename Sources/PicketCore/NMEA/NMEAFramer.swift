/// Why the framer threw a frame away. The raw values are the names counters
/// carry in logs and `picket sensors`, so they are stable.
public enum FrameRejection: String, Sendable, CaseIterable {
    /// Longer than `NMEAFramer.maximumFrameLength` from `$` to the last checksum digit.
    case tooLong = "too_long"
    case badChecksum = "bad_checksum"
    /// A byte outside printable ASCII inside the frame, including a CR that does not end it.
    case nonPrintable = "non_printable"
    /// A `$` (or a reset) arrived before the frame's line feed.
    case truncated
    /// No `*` and exactly two hex digits right before the line end.
    case malformed
}

/// What the framer has seen, so a technician can tell a noisy cable (noise,
/// non-printable, bad checksums) from a dropping link (truncated) or a device
/// talking something else (malformed, too long).
public struct FramerCounters: Sendable, Equatable {
    /// Valid frames handed on.
    public var frames: Int
    /// Bytes received outside any frame.
    public var noiseBytes: Int
    public var tooLong: Int
    public var badChecksum: Int
    public var nonPrintable: Int
    public var truncated: Int
    public var malformed: Int

    public init(
        frames: Int = 0, noiseBytes: Int = 0, tooLong: Int = 0, badChecksum: Int = 0, nonPrintable: Int = 0,
        truncated: Int = 0, malformed: Int = 0
    ) {
        self.frames = frames
        self.noiseBytes = noiseBytes
        self.tooLong = tooLong
        self.badChecksum = badChecksum
        self.nonPrintable = nonPrintable
        self.truncated = truncated
        self.malformed = malformed
    }

    /// Lets callers loop over `FrameRejection.allCases` instead of naming each field.
    public subscript(_ reason: FrameRejection) -> Int {
        get {
            switch reason {
            case .tooLong: tooLong
            case .badChecksum: badChecksum
            case .nonPrintable: nonPrintable
            case .truncated: truncated
            case .malformed: malformed
            }
        }
        set {
            switch reason {
            case .tooLong: tooLong = newValue
            case .badChecksum: badChecksum = newValue
            case .nonPrintable: nonPrintable = newValue
            case .truncated: truncated = newValue
            case .malformed: malformed = newValue
            }
        }
    }

    /// Frames discarded for any reason.
    public var rejectedTotal: Int { tooLong + badChecksum + nonPrintable + truncated + malformed }

    /// Sums counters, e.g. of several ports or of the framers a reconnect replaced.
    public static func += (lhs: inout FramerCounters, rhs: FramerCounters) {
        lhs.frames += rhs.frames
        lhs.noiseBytes += rhs.noiseBytes
        lhs.tooLong += rhs.tooLong
        lhs.badChecksum += rhs.badChecksum
        lhs.nonPrintable += rhs.nonPrintable
        lhs.truncated += rhs.truncated
        lhs.malformed += rhs.malformed
    }

    public static func + (lhs: FramerCounters, rhs: FramerCounters) -> FramerCounters {
        var sum = lhs
        sum += rhs
        return sum
    }
}

/// Cuts a serial byte stream into NMEA 0183 frames (PRODUCT.md section 3).
///
/// Reads arrive in arbitrary pieces, so the framer is a byte-at-a-time state
/// machine whose state survives between `feed` calls. It runs on the hot path
/// for every serial byte, so it never allocates after `init`: a frame is
/// collected in one reused buffer, its checksum is folded in as bytes arrive,
/// and a frame that grows past the limit stops being stored, so a device that
/// never sends a line feed cannot make the buffer grow.
///
/// A frame judged too long is counted as `tooLong` however it ends (line feed,
/// a new `$`, or `reset()`): once the limit is passed nothing later can make
/// it valid, and the more specific reason is the more useful one.
public struct NMEAFramer: Sendable {
    /// Bytes from `$` to the last checksum digit inclusive. NMEA itself says
    /// 82 with the line end; real receivers (RTK, proprietary sentences) go
    /// past that, so the product allows more but still bounds it.
    public static let maximumFrameLength = 120

    public private(set) var counters = FramerCounters()

    /// The bytes after `$`; only the first `maximumFrameLength - 1` are kept.
    /// Inline rather than an array: a framer is then a plain value that the
    /// processor moves out and back around every read (so the frame callback
    /// may mutate the processor) with no reference counting or uniqueness
    /// check, and no framer shares its buffer with another.
    private var storage = FrameBytes()
    private var scanner = FrameScanner()

    public init() {}

    /// True while a `$` has been seen and its line feed has not.
    public var isInFrame: Bool { scanner.inFrame }

    /// Feeds one read and calls `body` with the bytes strictly between `$`
    /// and `*` of every valid frame this read completes.
    ///
    /// The buffer handed to `body` is the framer's own and is only valid
    /// during the call; copy what must outlive it. `body` must not touch this
    /// framer (it is being mutated).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        // Work on locals so the byte loop touches no `self` storage and the
        // array's uniqueness check happens once per read, not once per byte.
        var scanner = self.scanner
        var counters = self.counters
        withUnsafeMutableBytes(of: &storage) { buffer in
            var index = 0
            let end = bytes.count
            while index < end {
                if scanner.canCopy {
                    // The common case inside a frame: a run of printable bytes,
                    // copied and checksummed without going through `step`.
                    index = scanner.copyRun(bytes, from: index, into: buffer)
                    if index == end { break }
                } else if !scanner.inFrame {
                    // Outside a frame only `$` matters: skip the noise at once.
                    let start = index
                    while index < end && bytes[index] != FrameScanner.dollar { index += 1 }
                    counters.noiseBytes += index - start
                    if index == end { break }
                }
                scanner.step(bytes[index], buffer, &counters, body)
                index += 1
            }
        }
        self.scanner = scanner
        self.counters = counters
    }

    /// Convenience for tests and replays that hold bytes in an array.
    public mutating func feed(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { feed($0, body) }
    }

    /// Forgets a half-received frame, counting it, so that after a reconnect
    /// or dropped input its first half never joins the next sentence's tail.
    public mutating func reset() {
        if scanner.inFrame {
            counters[scanner.overflowed ? .tooLong : .truncated] += 1
        }
        scanner = FrameScanner()
    }
}

/// 128 bytes, room for a frame of `NMEAFramer.maximumFrameLength` and the
/// eight-byte stores of `FrameScanner.copyRun`.
private struct FrameBytes {
    var words:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

/// The framer's state apart from the buffer: plain scalars, cheap to copy in
/// and out of `feed`.
private struct FrameScanner {
    var inFrame = false
    /// Bytes of the current frame from `$` up to its last non-CR byte.
    var length = 0
    /// CRs seen since the last other byte; they end the frame if a line feed
    /// follows, and make it non-printable if anything else does.
    var pendingCRs = 0
    /// XOR of every stored byte after `$`, checksum characters included: the
    /// last three are XORed back out when the frame ends, which avoids a
    /// branch per byte to find the `*`.
    var checksum: UInt8 = 0
    var nonPrintable = false
    /// Past `maximumFrameLength`: nothing more is stored.
    var overflowed = false

    static let dollar: UInt8 = 0x24
    static let star: UInt8 = 0x2A
    static let carriageReturn: UInt8 = 0x0D
    static let lineFeed: UInt8 = 0x0A

    @inline(__always)
    mutating func step(
        _ byte: UInt8, _ buffer: UnsafeMutableRawBufferPointer, _ counters: inout FramerCounters,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        guard inFrame else {
            if byte == Self.dollar {
                start()
            } else {
                counters.noiseBytes += 1
            }
            return
        }
        switch byte {
        case Self.lineFeed:
            finish(buffer, &counters, body)
        case Self.carriageReturn:
            pendingCRs += 1
        case Self.dollar:
            counters[overflowed ? .tooLong : .truncated] += 1
            start()
        default:
            if pendingCRs > 0 {
                // The CRs were inside the frame after all.
                nonPrintable = true
                while pendingCRs > 0 && !overflowed {
                    append(Self.carriageReturn, buffer)
                    pendingCRs -= 1
                }
                pendingCRs = 0
            }
            if byte < 0x20 || byte > 0x7E { nonPrintable = true }
            append(byte, buffer)
        }
    }

    /// Inside a frame, storing, with no CR pending: the state in which a
    /// printable byte other than `$` is simply appended.
    var canCopy: Bool {
        @inline(__always) get { inFrame && !overflowed && pendingCRs == 0 }
    }

    /// Appends the printable bytes (other than `$`) from `index` on, exactly as
    /// `step` would one at a time, stopping before the first other byte or
    /// where the frame reaches its length limit. Returns where it stopped.
    ///
    /// Eight bytes at a time while they are all plain (a word test for a byte
    /// below 0x20, above 0x7E or equal to `$`), then byte by byte.
    @inline(__always)
    mutating func copyRun(
        _ bytes: UnsafeRawBufferPointer, from start: Int, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        guard let source = bytes.baseAddress, let target = buffer.baseAddress else { return start }
        var index = start
        let end = bytes.count
        // Stored bytes go to `length - 1`, at most `maximumFrameLength - 1` of them.
        var stored = length - 1
        let room = NMEAFramer.maximumFrameLength - 1
        var wide: UInt64 = 0
        while index + 8 <= end && stored + 8 <= room {
            let word = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // The whole word is stored (the buffer has room for it); only its
            // plain bytes count. The lowest flagged byte is the first special
            // one: borrows and carries only flag bytes above a flagged byte.
            target.storeBytes(of: word.littleEndian, toByteOffset: stored, as: UInt64.self)
            let special = Self.specialBytes(word)
            guard special == 0 else {
                let plain = special.trailingZeroBitCount / 8
                wide ^= word & ((1 << (plain * 8)) - 1)
                stored += plain
                index += plain
                checksum ^= Self.fold(wide)
                length = stored + 1
                return index
            }
            wide ^= word
            stored += 8
            index += 8
        }
        var sum = checksum ^ Self.fold(wide)
        while index < end && stored < room {
            let byte = source.load(fromByteOffset: index, as: UInt8.self)
            guard byte &- 0x20 < 0x5F, byte != Self.dollar else { break }
            target.storeBytes(of: byte, toByteOffset: stored, as: UInt8.self)
            sum ^= byte
            stored += 1
            index += 1
        }
        checksum = sum
        length = stored + 1
        return index
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// XOR of the eight bytes of `word`.
    @inline(__always)
    static func fold(_ word: UInt64) -> UInt8 {
        var word = word
        word ^= word >> 32
        word ^= word >> 16
        word ^= word >> 8
        return UInt8(truncatingIfNeeded: word)
    }

    /// The high bit of each byte that is below 0x20, above 0x7E, or `$` (and
    /// possibly of bytes above such a byte); zero when all eight are plain.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        // A byte below n (n <= 128): (x - n*ones) & ~x & highs.
        let control = (word &- ones &* 0x20) & ~word & highs
        // A byte above 0x7E: (x + (127 - 0x7E)*ones) | x, high bit set.
        let high = ((word &+ ones &* 0x01) | word) & highs
        let flipped = word ^ (ones &* UInt64(Self.dollar))
        let dollarSign = (flipped &- ones) & ~flipped & highs
        return control | high | dollarSign
    }

    private mutating func start() {
        self = FrameScanner()
        inFrame = true
        length = 1
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8, _ buffer: UnsafeMutableRawBufferPointer) {
        guard !overflowed else { return }
        guard length < NMEAFramer.maximumFrameLength else {
            overflowed = true
            return
        }
        buffer[length - 1] = byte
        length += 1
        checksum ^= byte
    }

    private mutating func finish(
        _ buffer: UnsafeMutableRawBufferPointer, _ counters: inout FramerCounters,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        defer { self = FrameScanner() }
        if overflowed {
            counters.tooLong += 1
            return
        }
        if nonPrintable {
            counters.nonPrintable += 1
            return
        }
        let stored = length - 1
        guard stored >= 3, buffer[stored - 3] == Self.star,
            let high = hexValue(buffer[stored - 2]), let low = hexValue(buffer[stored - 1])
        else {
            counters.malformed += 1
            return
        }
        let bodyChecksum = checksum ^ Self.star ^ buffer[stored - 2] ^ buffer[stored - 1]
        guard bodyChecksum == high << 4 | low else {
            counters.badChecksum += 1
            return
        }
        counters.frames += 1
        body(UnsafeRawBufferPointer(rebasing: buffer[0..<(stored - 3)]))
    }

    @inline(__always)
    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
