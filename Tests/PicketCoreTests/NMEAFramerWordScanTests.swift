import PicketCore
import Testing

/// The framer copies plain bytes eight at a time; these put every kind of
/// byte the word test must catch (and the edge values it must let through)
/// at every position of a long frame, fed whole so the word path runs.
@Suite struct NMEAFramerWordScanTests {
    /// 100 bytes of body: long enough for many eight-byte words at any offset.
    static let body =
        "GPGGA,123519.00,4807.0381234,N,01131.0004567,E,1,08,0.9,545.4,M,46.9,M,,0000,EXTRA,FIELDS,ABCDEFGHIJ"

    @Test(arguments: [UInt8(0x00), 0x09, 0x1F, 0x7F, 0x80, 0xA4, 0xC3, 0xFF])
    func aNonPrintableByteAnywhereRejectsTheFrame(byte: UInt8) {
        for position in 1..<Self.body.utf8.count {
            var bytes = Array(nmeaFrame(Self.body).utf8)
            bytes[position] = byte
            let run = runFramer(bytes)
            #expect(run.counters.frames == 0, "byte \(byte) at \(position)")
            #expect(run.counters.nonPrintable == 1, "byte \(byte) at \(position)")
            #expect(run.counters.rejectedTotal == 1, "byte \(byte) at \(position)")
        }
    }

    @Test func aDollarAnywhereStartsANewFrame() {
        for position in 1..<Self.body.utf8.count {
            var bytes = Array(nmeaFrame(Self.body).utf8)
            bytes[position] = 0x24
            let run = runFramer(bytes + Array(nmeaFrame("GPGSV,1,1,00").utf8))
            // The first half is truncated; what follows the `$` fails its checksum.
            #expect(run.counters.truncated == 1, "at \(position)")
            #expect(run.texts == ["GPGSV,1,1,00"], "at \(position)")
        }
    }

    @Test(arguments: [UInt8(0x20), 0x7E, 0x23, 0x25, 0x2A])
    func printableEdgeBytesAnywhereAreKept(byte: UInt8) {
        for position in 0..<Self.body.utf8.count {
            var body = Array(Self.body.utf8)
            body[position] = byte
            let text = String(decoding: body, as: UTF8.self)
            // `*` inside the body is data: the checksum is the last `*HH`.
            let run = runFramer(Array(nmeaFrame(text).utf8))
            #expect(run.texts == [text], "byte \(byte) at \(position)")
        }
    }

    @Test func checksumOverWordsMatchesByteAtATime() {
        for length in 0..<Self.body.utf8.count {
            let text = String(Self.body.prefix(length))
            let stream = Array((nmeaFrame(text) + nmeaFrame(text, lowercase: true)).utf8)
            let whole = runFramer(stream)
            #expect(whole.texts == [text, text], "length \(length)")
            #expect(runFramer(stream, chunkSizes: [1]) == whole, "length \(length)")
        }
    }

    @Test func frameAtTheLengthLimitOverWordsIsKeptOneMoreIsTooLong() {
        // 116 body bytes + `*HH` is 119 after `$`: the longest frame kept.
        let longest = String(repeating: "ABCDEFGH", count: 15).prefix(116)
        #expect(runFramer(nmeaFrame(String(longest))).texts == [String(longest)])
        let tooLong = runFramer(nmeaFrame(String(longest) + "I"))
        #expect(tooLong.counters.tooLong == 1)
        #expect(tooLong.counters.frames == 0)
    }
}
