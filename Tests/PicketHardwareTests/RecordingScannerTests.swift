import Foundation
import PicketCore
import PicketTestSupport
import Testing

@testable import PicketHardware

/// The recording's byte-level scanner (issue 11): it takes the shapes the
/// recorder and people write, and gives exactly what the general JSON
/// parser gives, inputs and errors (message and line number) alike.
@Suite struct RecordingScannerTests {
    static let configuration: PicketConfiguration = {
        PicketConfiguration(
            box: "b", sector: "s",
            gpio: [GPIODriverTests.line(17, "pir-1"), GPIODriverTests.line(4, "beam-1", chip: "gpiochip1")],
            serial: [SerialPortConfig(port: "/dev/ttyUSB0"), SerialPortConfig(port: "/dev/ttyUSB1")])
    }()

    static let header = "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\", \"box\": \"b\"}\n"

    /// Lines of every shape the scanner should take itself.
    static let recognised = [
        #"{"t":1,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
        #"{"t": 2, "gpio": {"chip": "gpiochip1", "line": 4, "edge": "falling"}}"#,
        #"{ "gpio" : { "edge" : "rising" , "line" : 4 , "chip" : "gpiochip1" } , "t" : 3 }"#,
        "{\"t\":4,\t\"serial\":{\"port\":\"/dev/ttyUSB0\",\"text\":\"$PGSD,seis-7,12,FOOT,64*05\\r\\n\"}}\r",
        #"{"t":5,"serial":{"port":"/dev/ttyUSB1","text":"a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\u20ac\u007f"}}"#,
        #"{"t":6,"serial":{"text":"plain","port":"/dev/ttyUSB0"}}"#,
        #"{"t":7,"serial":{"port":"/dev/ttyUSB0","text":""}}"#,
        #"{"t":8,"serial":{"port":"/dev/ttyUSB0","b64":"//4kUEdTRA=="}}"#,
        #"{"t":9,"serial":{"port":"/dev/ttyUSB0","b64":"QUJD"}}"#,
        #"{"t":10,"serial":{"port":"/dev/ttyUSB0","b64":"QUI="}}"#,
        #"{"t":11,"serial":{"port":"/dev/ttyUSB0","b64":""}}"#,
        #"{"t":12,"serial":{"port":"/dev/ttyUSB0","text":""},"gap":true}"#,
        #"{"t":13,"gap":false,"serial":{"port":"/dev/ttyUSB1","text":"x"}}"#,
        #"{"t":14,"gap":true,"serial":{"port":"/dev/ttyUSB1","b64":"not base64"}}"#,
        #"{"t":15,"serial":{"port":"/dev/ttyUSB1","text":"x"}}"#,
    ]

    /// Valid lines the scanner leaves to the general parser.
    static let leftToTheParser = [
        #"{"t":20,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"},"note":"unknown keys are ignored"}"#,
        #"{"t":21,"serial":{"port":"/dev/ttyUSB0","text":"caf\u00e9 \ud83d\ude00","baud":9600}}"#,
        #"{"t":22,"serial":{"port":"/dev/ttyUSB0","text":"été"}}"#,
        #"{"t":23,"serial":{"port":"/dev/tty\u0055SB0","text":"escaped port"}}"#,
        #"{"t":24,"serial":{"port":"/dev/ttyUSB0","text":"x"},"gap":null}"#,
        "",
        "   \t",
    ]

    func write(_ lines: [String]) throws -> (URL, URL) {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("rec.jsonl")
        try (Self.header + lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    /// Everything the reader delivers and throws, with or without the scanner.
    func read(_ file: URL, scanner: Bool) throws -> (inputs: [RecordedInput], error: String?) {
        let reader = try RecordingReader(path: file.path, configuration: Self.configuration)
        reader.usesScanner = scanner
        var inputs: [RecordedInput] = []
        do {
            try reader.forEachInput { inputs.append($0) }
            return (inputs, nil)
        } catch {
            return (inputs, "\(error)")
        }
    }

    @Test("the scanner takes the recording's shapes itself, and leaves other valid lines to the parser")
    func recognisesTheShapes() throws {
        let scanner = RecordingLineScanner(configuration: Self.configuration, startedUTC: 0)
        for line in Self.recognised {
            var line = line
            let taken = line.withUTF8 { scanner.scan(UnsafeRawBufferPointer($0), lastT: 0) != nil }
            #expect(taken, "\(line)")
        }
        for line in Self.leftToTheParser {
            var line = line
            let taken = line.withUTF8 { scanner.scan(UnsafeRawBufferPointer($0), lastT: 0) != nil }
            #expect(!taken, "\(line)")
        }
        // The largest t whose UTC time picket holds, and one past it.
        var last = #"{"t":9223372036854775807,"gpio":{"chip":"gpiochip0","line":17,"edge":"falling"}}"#
        let late = RecordingLineScanner(configuration: Self.configuration, startedUTC: 1)
        let (atLimit, pastLimit) = last.withUTF8 {
            (
                scanner.scan(UnsafeRawBufferPointer($0), lastT: 0) != nil,
                late.scan(UnsafeRawBufferPointer($0), lastT: 0) != nil
            )
        }
        #expect(atLimit)
        #expect(!pastLimit)
    }

    @Test("valid lines give the same inputs through the scanner as through the JSON parser")
    func sameInputs() throws {
        let (dir, file) = try write(Self.recognised + Self.leftToTheParser)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fast = try read(file, scanner: true)
        let slow = try read(file, scanner: false)
        #expect(fast.error == nil, "\(fast.error ?? "")")
        #expect(fast.inputs.count == Self.recognised.count + Self.leftToTheParser.count - 2)
        #expect(fast.inputs == slow.inputs)
        // The escapes decoded, as JSON defines them.
        #expect(
            fast.inputs[4]
                == .serial(
                    t: 5, port: 1,
                    bytes: Array("a\"b\\c/d\u{8}\u{c}\n\r\t\u{0}é€\u{7f}".utf8)))
        #expect(fast.inputs[7] == .serial(t: 8, port: 0, bytes: [0xFF, 0xFE, 0x24, 0x50, 0x47, 0x53, 0x44]))
        #expect(fast.inputs[11] == .gap(t: 12, port: 0))
    }

    /// The scanner passes over text eight plain bytes at a time: an escape,
    /// a quote or a non-ASCII byte at any place in or across a word is still
    /// seen, and the inputs are the parser's.
    @Test("an escape or a non-ASCII byte at every place of a text gives the parser's inputs")
    func specialBytesAtEveryPlace() throws {
        let plain = Array("$PGSD,seis-7,12,FOOT,64*05 abcdefgh")
        var lines: [String] = []
        for special in [#"\""#, #"\\"#, #"\n"#, #"\u0041"#, #"\u00e9"#, "é"] {
            for place in 0...plain.count {
                let text = String(plain[..<place]) + special + String(plain[place...])
                lines.append(#"{"t":\#(lines.count + 1),"serial":{"port":"/dev/ttyUSB0","text":"\#(text)"}}"#)
            }
        }
        // The scanner takes every line but those with raw non-ASCII text.
        let scanner = RecordingLineScanner(configuration: Self.configuration, startedUTC: 0)
        let taken = lines.filter { line in
            var line = line
            return line.withUTF8 { scanner.scan(UnsafeRawBufferPointer($0), lastT: 0) != nil }
        }
        #expect(taken.count == lines.count - plain.count - 1)
        let (dir, file) = try write(lines)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fast = try read(file, scanner: true)
        let slow = try read(file, scanner: false)
        #expect(fast.error == nil, "\(fast.error ?? "")")
        #expect(fast.inputs.count == lines.count)
        #expect(fast.inputs == slow.inputs)
        // A quote at the end of an 8-byte word and one right after it.
        #expect(fast.inputs[7] == .serial(t: 8, port: 0, bytes: Array("$PGSD,s\"eis-7,12,FOOT,64*05 abcdefgh".utf8)))
        #expect(fast.inputs[8] == .serial(t: 9, port: 0, bytes: Array("$PGSD,se\"is-7,12,FOOT,64*05 abcdefgh".utf8)))
    }

    @Test("bad lines are named with the same messages and line numbers as without the scanner")
    func sameErrors() throws {
        let bad = [
            #"{"t":5,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":4,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":6,"t":7,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":8,"gpio":{"chip":"gpiochip0","line":17,"line":17,"edge":"rising"}}"#,
            #"{"t":9,"gpio":{"chip":"gpiochip9","line":17,"edge":"rising"}}"#,
            #"{"t":10,"gpio":{"chip":"gpiochip0","line":-17,"edge":"rising"}}"#,
            #"{"t":11,"gpio":{"chip":"gpiochip0","line":17,"edge":"up"}}"#,
            #"{"t":12.5,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":1e3,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":-1,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":012,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":99999999999999999999,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":13,"serial":{"port":"/dev/ttyUSB9","text":"x"}}"#,
            #"{"t":14,"serial":{"port":"/dev/ttyUSB0","b64":"a==="}}"#,
            #"{"t":15,"serial":{"port":"/dev/ttyUSB0","b64":"QR=="}}"#,
            #"{"t":16,"serial":{"port":"/dev/ttyUSB0","text":"x","b64":"QUI="}}"#,
            #"{"t":17,"serial":{"port":"/dev/ttyUSB0"}}"#,
            #"{"t":18,"serial":{"port":"/dev/ttyUSB0","text":"bad \q escape"}}"#,
            #"{"t":19,"serial":{"port":"/dev/ttyUSB0","text":"lone \ud800"}}"#,
            #"{"t":20,"serial":{"port":"/dev/ttyUSB0","text":"x"},"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
            #"{"t":21}"#,
            #"{"serial":{"port":"/dev/ttyUSB0","text":"x"}}"#,
            #"{"t":22,"serial":{"port":"/dev/ttyUSB0","text":"x"}"#,
            #"{"t":23,"serial":{"port":"/dev/ttyUSB0","text":"x"}} trailing"#,
            #"{"t":24,"serial":{"port":"/dev/ttyUSB0","text":"unterminated}}"#,
            #"[1,2]"#,
            #"{"t":25,"serial":{"port":"/dev/ttyUSB0","text":42}}"#,
            #"{"t":26,"serial":{"port":"/dev/ttyUSB0","text":"x"},"gap":true,"gap":true}"#,
            #"{"t":27,"serial":{"port":"/dev/ttyUSB0","text":"bad \x escape"},"gap":true}"#,
            #"{"t":28,"gpio":{"chip":"gpiochip0","line":17,"edge":"rising"}}"#,
        ]
        let (dir, file) = try write(bad)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fast = try read(file, scanner: true)
        let slow = try read(file, scanner: false)
        #expect(fast.inputs == slow.inputs)
        #expect(fast.inputs.count == 1)
        let message = try #require(fast.error)
        #expect(message == slow.error)
        // Line 3 (t 4 after 5) is the first bad one; the file's last line is good.
        #expect(message.hasPrefix("\(file.path):3: \"t\" goes back in time: 4 after 5"), "\(message)")
        #expect(!message.contains("\(file.path):\(bad.count + 1):"), "\(message)")
        #expect(message.contains("... and"), "\(message)")
    }

    @Test("lines longer than the read buffer, a last line without LF, and CRLF line ends")
    func longLines() throws {
        let long = String(repeating: "$PGSD,seis-7,12,FOOT,64*05\\r\\n", count: 100_000)
        let text =
            Self.header + "{\"t\":1,\"serial\":{\"port\":\"/dev/ttyUSB0\",\"text\":\"\(long)\"}}\r\n"
            + "{\"t\":2,\"gpio\":{\"chip\":\"gpiochip0\",\"line\":17,\"edge\":\"rising\"}}"
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("rec.jsonl")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let fast = try read(file, scanner: true)
        let slow = try read(file, scanner: false)
        #expect(fast.error == nil)
        #expect(fast.inputs == slow.inputs)
        #expect(fast.inputs.count == 2)
        if case .serial(_, _, let bytes) = fast.inputs.first {
            #expect(bytes.count == 28 * 100_000)
        } else {
            Issue.record("expected a serial input first")
        }
        let reader = try RecordingReader(path: file.path, configuration: Self.configuration)
        try reader.forEachInput { _ in }
        #expect(reader.linesRead == 3)
        #expect(reader.bytesRead == text.utf8.count + 1)
    }

    /// `check()` validates serial texts without decoding them (issue 11):
    /// it must take and refuse exactly the lines the decoding scan does.
    @Test("the check's validate-only scan takes and refuses exactly the lines the decoding scan does")
    func validateOnlyAgreesWithDecoding() throws {
        let texts = [
            "plain", "", #"a\"b"#, #"\\"#, #"\/\b\f\n\r\t"#, #"\u0041"#, #"\u00e9\u20AC"#, #"\uFFFF"#,
            #"\ud7ff"#, #"\ue000"#, #"\ud800"#, #"\udfff"#, #"\uDBFF"#, #"\q"#, #"\x41"#, #"\u12"#,
            #"\u12g4"#, #"\u"#, #"x\u004"#, #"$PGSD,seis-7,12,FOOT,64*05\r\n"#, #"long text \a at the end"#,
        ]
        var lines: [String] = []
        for text in texts {
            for gap in ["", #","gap":true"#] {
                lines.append(#"{"t":1,"serial":{"port":"/dev/ttyUSB0","text":"\#(text)"}\#(gap)}"#)
            }
        }
        let decoding = RecordingLineScanner(configuration: Self.configuration, startedUTC: 0)
        let validating = RecordingLineScanner(configuration: Self.configuration, startedUTC: 0)
        validating.validatesOnly = true
        var refused = 0
        for line in lines {
            var line = line
            let (decoded, validated) = line.withUTF8 {
                (
                    decoding.scan(UnsafeRawBufferPointer($0), lastT: 0).map(\.kind),
                    validating.scan(UnsafeRawBufferPointer($0), lastT: 0).map(\.kind)
                )
            }
            #expect(decoded == validated, "\(line)")
            if decoded == nil { refused += 1 }
        }
        #expect(refused == 20, "\(refused)")
        // A whole file: the check throws exactly what reading it does.
        let (dir, file) = try write(Self.recognised + lines.map { $0.replacing(#""t":1,"#, with: #""t":99,"#) })
        defer { try? FileManager.default.removeItem(at: dir) }
        let read = try read(file, scanner: true)
        let reader = try RecordingReader(path: file.path, configuration: Self.configuration)
        let checked: String?
        do {
            try reader.check()
            checked = nil
        } catch {
            checked = "\(error)"
        }
        let message = try #require(checked)
        #expect(message == read.error)
    }
}
