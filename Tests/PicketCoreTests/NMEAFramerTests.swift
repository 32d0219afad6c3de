import Foundation
import PicketCore
import Testing

/// `$body*HH\r\n` with a correct checksum (`hex` picks the digits' case).
func nmeaFrame(_ body: String, lowercase: Bool = false, ending: String = "\r\n") -> String {
    "$" + body + "*" + checksumDigits(body, lowercase: lowercase) + ending
}

func checksumDigits(_ body: String, lowercase: Bool = false) -> String {
    let sum = body.utf8.reduce(UInt8(0), ^)
    let digits = Array(lowercase ? "0123456789abcdef" : "0123456789ABCDEF")
    return String([digits[Int(sum >> 4)], digits[Int(sum & 0xF)]])
}

/// What a framer produced: the bodies (as bytes, since the tests feed raw
/// bytes) and the counters at the end.
struct FramerRun: Equatable {
    var bodies: [[UInt8]] = []
    var counters = FramerCounters()

    var texts: [String] { bodies.map { String(decoding: $0, as: UTF8.self) } }
}

/// Feeds `bytes` in pieces of the given sizes (cycled), or whole when empty.
func runFramer(_ bytes: [UInt8], chunkSizes: [Int] = [], resetAtEnd: Bool = false) -> FramerRun {
    var framer = NMEAFramer()
    var run = FramerRun()
    var start = 0
    var turn = 0
    while start < bytes.count {
        let size = chunkSizes.isEmpty ? bytes.count : chunkSizes[turn % chunkSizes.count]
        let end = min(bytes.count, start + size)
        framer.feed(Array(bytes[start..<end])) { run.bodies.append(Array($0)) }
        start = end
        turn += 1
    }
    if resetAtEnd { framer.reset() }
    run.counters = framer.counters
    return run
}

func runFramer(_ text: String, chunkSizes: [Int] = []) -> FramerRun {
    runFramer(Array(text.utf8), chunkSizes: chunkSizes)
}

/// A small deterministic generator so "random" splits are reproducible.
struct SplitMix {
    var state: UInt64

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}

@Suite struct NMEAFramerTests {
    static let gga = "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
    static let gll = "GPGLL,2638.1728,N,08011.3893,W,030131.000,A,A"

    @Test func passesTheBodyBetweenDollarAndStar() {
        let run = runFramer(nmeaFrame(Self.gga))
        #expect(run.texts == [Self.gga])
        #expect(run.counters == FramerCounters(frames: 1))
    }

    @Test func productExampleChecksumIsValid() {
        let run = runFramer("$PGSD,seis-7,12,FOOT,64*05\r\n")
        #expect(run.texts == ["PGSD,seis-7,12,FOOT,64"])
    }

    @Test func emptyBodyWithZeroChecksumIsAFrame() {
        let run = runFramer("$*00\r\n")
        #expect(run.bodies == [[]])
        #expect(run.counters.frames == 1)
    }

    /// A stream with one of everything, so the split tests cover every state.
    static let mixedStream: [UInt8] = {
        var bytes: [UInt8] = []
        bytes += Array("debug: booting\r\n\n".utf8)
        bytes += Array(nmeaFrame(Self.gga).utf8)
        bytes += Array(("$" + Self.gga).utf8)  // truncated by the next `$`
        bytes += Array(nmeaFrame(Self.gll, lowercase: true, ending: "\r\r\n").utf8)
        bytes += Array("$GPGSA,A,3*00\r\n".utf8)  // bad checksum
        bytes += [0x24, 0x47, 0x50, 0x00, 0x1B, 0x2A, 0x30, 0x30, 0x0D, 0x0A]  // NUL and ESC
        bytes += Array("$GPTXT,no checksum\r\n".utf8)
        bytes += Array(("$" + String(repeating: "X", count: 300) + "*00\r\n").utf8)
        bytes += [0xFF, 0x80, 0x00]
        bytes += Array(("$" + nmeaFrame("PGSD,seis-7,12,FOOT,64")).utf8)  // `$$`
        bytes += Array(nmeaFrame("PCAM,cam-2,7,PIR,IMG_0007.JPG", ending: "\n").utf8)
        bytes += Array("$GPGGA,030130".utf8)  // left open
        return bytes
    }()

    @Test func mixedStreamCountsEachReason() {
        let run = runFramer(Self.mixedStream, resetAtEnd: true)
        #expect(run.texts == [Self.gga, Self.gll, "PGSD,seis-7,12,FOOT,64", "PCAM,cam-2,7,PIR,IMG_0007.JPG"])
        #expect(run.counters.frames == 4)
        #expect(run.counters.noiseBytes == "debug: booting\r\n\n".utf8.count + 3)
        #expect(run.counters.truncated == 3)  // spliced GGA, `$$`, open at reset
        #expect(run.counters.badChecksum == 1)
        #expect(run.counters.nonPrintable == 1)
        #expect(run.counters.malformed == 1)
        #expect(run.counters.tooLong == 1)
        #expect(run.counters.rejectedTotal == 7)
    }

    @Test(arguments: [[1], [2], [3], [5], [7], [13], [64], [1, 2, 3, 5, 8], [119, 1, 120, 2]])
    func anySplitGivesTheSameResult(chunkSizes: [Int]) {
        let whole = runFramer(Self.mixedStream, resetAtEnd: true)
        let split = runFramer(Self.mixedStream, chunkSizes: chunkSizes, resetAtEnd: true)
        #expect(split == whole)
    }

    @Test(arguments: 0..<20)
    func randomSplitsGiveTheSameResult(seed: Int) {
        var random = SplitMix(state: UInt64(seed))
        let sizes = (0..<50).map { _ in random.next(40) + 1 }
        let whole = runFramer(Self.mixedStream)
        #expect(runFramer(Self.mixedStream, chunkSizes: sizes) == whole)
    }

    @Test func garbageBetweenFramesIsNoise() {
        let text = "hello\r\n" + nmeaFrame(Self.gga) + "xx\u{7}" + nmeaFrame(Self.gll) + "\n\n!AIVDM"
        let run = runFramer(text)
        #expect(run.texts == [Self.gga, Self.gll])
        #expect(run.counters.noiseBytes == 7 + 3 + 2 + 6)
        #expect(run.counters.rejectedTotal == 0)
    }

    @Test func strayByteBeforeDollarIsNoiseOnly() {
        // tomtom-mkII.log has 'r$GPRMC...'.
        let run = runFramer("r" + nmeaFrame(Self.gll))
        #expect(run.texts == [Self.gll])
        #expect(run.counters.noiseBytes == 1)
    }

    /// `$` + body + `*HH` is 1 + n + 3 bytes.
    @Test(arguments: [(116, true), (117, false), (1, true), (500, false)])
    func lengthLimitIsInclusive(bodyLength: Int, accepted: Bool) {
        let body = "P" + String(repeating: "A", count: bodyLength - 1)
        let run = runFramer(nmeaFrame(body, ending: "\r\r\r\n"))
        #expect(run.texts == (accepted ? [body] : []))
        #expect(run.counters.tooLong == (accepted ? 0 : 1))
        #expect(run.counters.frames == (accepted ? 1 : 0))
    }

    @Test func trailingJunkPastTheLimitIsTooLongNotMalformed() {
        let body = String(repeating: "A", count: 116)
        let run = runFramer("$" + body + "*" + checksumDigits(body) + "X\r\n")
        #expect(run.counters.tooLong == 1)
        #expect(run.counters.malformed == 0)
    }

    @Test func endlessInputWithoutLineFeedIsSkippedThenFramingResumes() {
        var framer = NMEAFramer()
        let junk = [UInt8](repeating: 0x41, count: 4096)
        var bodies: [[UInt8]] = []
        framer.feed([0x24]) { bodies.append(Array($0)) }
        for _ in 0..<256 { framer.feed(junk) { bodies.append(Array($0)) } }
        #expect(framer.isInFrame)
        #expect(framer.counters.noiseBytes == 0)
        framer.feed(Array(nmeaFrame(Self.gga).utf8)) { bodies.append(Array($0)) }
        #expect(bodies.map { String(decoding: $0, as: UTF8.self) } == [Self.gga])
        // Cut off by a `$` after passing the limit: already too long, so counted as such.
        #expect(framer.counters.tooLong == 1)
        #expect(framer.counters.truncated == 0)
    }

    @Test func overlongFrameAtResetCountsAsTooLong() {
        var framer = NMEAFramer()
        framer.feed(Array(("$" + String(repeating: "B", count: 200)).utf8)) { _ in }
        framer.reset()
        #expect(framer.counters.tooLong == 1)
        #expect(framer.counters.truncated == 0)
    }

    @Test func badChecksumIsCounted() {
        let good = nmeaFrame(Self.gga)
        let bad = good.replacingOccurrences(of: "*" + checksumDigits(Self.gga), with: "*00")
        let flipped = good.replacingOccurrences(of: "4807.038", with: "4807.039")
        let run = runFramer(bad + flipped + good)
        #expect(run.texts == [Self.gga])
        #expect(run.counters.badChecksum == 2)
    }

    @Test(arguments: ["GPRMC,,V,,,,,,,,,", "GPGSV,3,1,11,08,75,303,44", "PGSD,seis-7,12,FOOT,64"])
    func upperLowerAndMixedCaseChecksumsAreAccepted(body: String) {
        let upper = checksumDigits(body)
        let lower = upper.lowercased()
        let mixed = String(upper.first!) + String(lower.last!)
        let run = runFramer(["$\(body)*\(upper)\r\n", "$\(body)*\(lower)\r\n", "$\(body)*\(mixed)\n"].joined())
        #expect(run.texts == [body, body, body])
    }

    @Test(arguments: ["\n", "\r\n", "\r\r\n", "\r\r\r\r\n"])
    func carriageReturnsBeforeLineFeedAreIgnored(ending: String) {
        let run = runFramer(nmeaFrame(Self.gga, ending: ending))
        #expect(run.texts == [Self.gga])
        #expect(run.counters == FramerCounters(frames: 1))
    }

    @Test(arguments: ["$GP\rGGA,1*00\r\n", "$GPGGA,1*00\rX\r\n", "$GPGGA,1\r*00\r\n"])
    func carriageReturnInsideAFrameIsNonPrintable(text: String) {
        let run = runFramer(text)
        #expect(run.bodies.isEmpty)
        #expect(run.counters.nonPrintable == 1)
        #expect(run.counters.malformed == 0)
    }

    @Test func carriageReturnsAfterTheLineFeedAreNoise() {
        let run = runFramer(nmeaFrame(Self.gga, ending: "\n\r\r\n"))
        #expect(run.texts == [Self.gga])
        #expect(run.counters.noiseBytes == 3)
    }

    @Test func doubledDollarCountsOneTruncatedFrameThenFrames() {
        // st-teseo-liv4f.log starts every line with `$$`.
        let run = runFramer("$" + nmeaFrame(Self.gga) + "$" + nmeaFrame(Self.gll))
        #expect(run.texts == [Self.gga, Self.gll])
        #expect(run.counters.truncated == 2)
        #expect(run.counters.frames == 2)
    }

    @Test func splicedSentenceIsTruncatedAndTheNextOneSurvives() {
        // triton400.log line 12.
        let run = runFramer("$GPGGA,030130$GPGLL,2638.1728,N,08011.3893,W,030131.000,A,A*41\r\n")
        #expect(run.texts == [Self.gll])
        #expect(run.counters.truncated == 1)
    }

    @Test(arguments: [UInt8(0x00), 0x1B, 0x7F, 0x80, 0xC3, 0xFF, 0x09, 0x01])
    func nonPrintableByteInsideAFrameRejectsIt(byte: UInt8) {
        var bytes = Array("$GPGGA,1".utf8)
        bytes.append(byte)
        bytes += Array(",2*".utf8)
        // A checksum that would be right, so only the byte can be the reason.
        let sum = bytes[1..<(bytes.count - 1)].reduce(UInt8(0), ^)
        bytes += Array(String(sum, radix: 16, uppercase: true).leftPadded(to: 2).utf8) + [0x0D, 0x0A]
        let run = runFramer(bytes)
        #expect(run.bodies.isEmpty)
        #expect(run.counters.nonPrintable == 1)
        #expect(run.counters.rejectedTotal == 1)
    }

    @Test func nulAndEscapeOutsideFramesAreNoise() {
        var bytes: [UInt8] = [0x00, 0x1B, 0x5B, 0x48, 0x00]
        bytes += Array(nmeaFrame(Self.gga).utf8)
        let run = runFramer(bytes)
        #expect(run.texts == [Self.gga])
        #expect(run.counters.noiseBytes == 5)
    }

    @Test(arguments: [
        "$GPTXT,01,01,02,hello\r\n",  // no checksum
        "$GPGSV,3,1,11*7\r\n",  // one digit
        "$GPGGA,1*4E7\r\n",  // trailing junk
        "$GPGGA,1*4EX\r\n",
        "$GPGGA,1*G0\r\n",  // not hex
        "$GPGGA,1**0\r\n",
        "$GPGGA,1 *4E \r\n",
        "$\r\n",
        "$*\r\n",
        "$*0\r\n",
    ])
    func malformedChecksumFieldIsMalformed(text: String) {
        let run = runFramer(text)
        #expect(run.bodies.isEmpty)
        #expect(run.counters.malformed == 1)
        #expect(run.counters.rejectedTotal == 1)
    }

    @Test func precedenceAtLineFeedIsTooLongNonPrintableMalformedBadChecksum() {
        let long = String(repeating: "A", count: 130)
        #expect(runFramer("$" + long + "\u{0}*00\r\n").counters.tooLong == 1)
        #expect(runFramer("$GP\u{0}GGA\r\n").counters.nonPrintable == 1)
        #expect(runFramer("$GP\u{1B}GGA*00\r\n").counters.nonPrintable == 1)
        #expect(runFramer("$GPGGA,1*0\r\n").counters.malformed == 1)
        #expect(runFramer("$GPGGA,1*00\r\n").counters.badChecksum == 1)
    }

    @Test func resetMidFrameKeepsHalvesApart() {
        var framer = NMEAFramer()
        var bodies: [String] = []
        let whole = nmeaFrame(Self.gga)
        let cut = whole.index(whole.startIndex, offsetBy: 20)
        framer.feed(Array(whole[..<cut].utf8)) { bodies.append(String(decoding: $0, as: UTF8.self)) }
        #expect(framer.isInFrame)
        framer.reset()
        #expect(!framer.isInFrame)
        #expect(framer.counters.truncated == 1)
        // The tail arrives after the reconnect: noise, never joined to the head.
        let tail = whole[cut...]
        framer.feed(Array(tail.utf8)) { bodies.append(String(decoding: $0, as: UTF8.self)) }
        framer.feed(Array(whole.utf8)) { bodies.append(String(decoding: $0, as: UTF8.self)) }
        #expect(bodies == [Self.gga])
        #expect(framer.counters.noiseBytes == tail.utf8.count)
        #expect(framer.counters.truncated == 1)
    }

    @Test func resetBetweenFramesCountsNothing() {
        var framer = NMEAFramer()
        framer.feed(Array(nmeaFrame(Self.gga).utf8)) { _ in }
        framer.reset()
        framer.reset()
        #expect(framer.counters == FramerCounters(frames: 1))
    }

    @Test func unsafeBufferAndArrayFeedsAgree() {
        var viaPointer = NMEAFramer()
        var bodies: [[UInt8]] = []
        Self.mixedStream.withUnsafeBytes { raw in
            viaPointer.feed(raw) { bodies.append(Array($0)) }
        }
        let viaArray = runFramer(Self.mixedStream)
        #expect(bodies == viaArray.bodies)
        #expect(viaPointer.counters == viaArray.counters)
    }

    @Test func countersMergeAndIndexByReason() {
        var total = FramerCounters(frames: 2, noiseBytes: 5, tooLong: 1)
        var other = FramerCounters()
        for (index, reason) in FrameRejection.allCases.enumerated() {
            other[reason] = index + 1
        }
        #expect(other.tooLong == 1 && other.badChecksum == 2 && other.nonPrintable == 3)
        #expect(other.truncated == 4 && other.malformed == 5)
        total += other
        #expect(total.frames == 2)
        #expect(total.noiseBytes == 5)
        #expect(total[.tooLong] == 2)
        #expect(total.rejectedTotal == 1 + 15)
        #expect(
            total + FramerCounters(frames: 1)
                == FramerCounters(
                    frames: 3, noiseBytes: 5, tooLong: 2,
                    badChecksum: 2, nonPrintable: 3, truncated: 4, malformed: 5))
    }

    @Test func rejectionNamesAreTheCounterNames() {
        #expect(
            FrameRejection.allCases.map(\.rawValue) == [
                "too_long", "bad_checksum", "non_printable", "truncated", "malformed",
            ])
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
