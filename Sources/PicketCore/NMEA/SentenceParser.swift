/// Turns a frame body (the bytes between `$` and `*`, as `NMEAFramer` hands
/// them on) into a `Sentence`.
///
/// Works on the raw bytes so a frame can be parsed straight out of the
/// framer's buffer; strings are made only for the values a `Sentence` keeps.
/// Extra trailing fields are ignored everywhere, so a sensor firmware that
/// appends fields does not break older boxes.
public enum SentenceParser {
    public static func parse(_ body: UnsafeRawBufferPointer) -> Result<Sentence, SentenceError> {
        var reader = FieldReader(body)
        // The first field always exists, even in an empty body.
        let address = reader.next() ?? body
        do throws(SentenceError) {
            if address.first == ASCII.p {
                // The sentence names are literals: no string is built for them.
                if matches(address, "PGSD") {
                    var fields = Fields(sentence: "PGSD", reader: reader)
                    return .success(try parseDetection(&fields))
                }
                if matches(address, "PGSS") {
                    var fields = Fields(sentence: "PGSS", reader: reader)
                    return .success(try parseStatus(&fields))
                }
                if matches(address, "PCAM") {
                    var fields = Fields(sentence: "PCAM", reader: reader)
                    return .success(try parseCapture(&fields))
                }
                return .success(.other(type: String(decoding: address, as: UTF8.self)))
            }
        } catch {
            return .failure(error)
        }
        guard !address.isEmpty else {
            return .failure(SentenceError(sentence: "", field: "address", value: "", reason: .empty))
        }
        guard address.count == 5, ASCII.isUpperLetter(address[0]), ASCII.isUpperLetter(address[1]) else {
            return .success(.other(type: String(decoding: address, as: UTF8.self)))
        }
        let type = UnsafeRawBufferPointer(rebasing: address[2..<5])
        if matches(type, "GGA") { return .success(GPSParser.gga(talker: talker(address), &reader)) }
        if matches(type, "RMC") { return .success(GPSParser.rmc(talker: talker(address), &reader)) }
        return .success(.other(type: commonType(type) ?? String(decoding: type, as: UTF8.self)))
    }

    public static func parse(_ body: [UInt8]) -> Result<Sentence, SentenceError> {
        body.withUnsafeBytes { parse($0) }
    }

    /// `body` is the text between `$` and `*`, e.g. `PGSD,seis-7,12,FOOT,64`.
    public static func parse(_ body: String) -> Result<Sentence, SentenceError> {
        var body = body
        return body.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// The talker, as a literal for the common ones (the same string, made
    /// without decoding bytes: this runs for every GPS sentence).
    private static func talker(_ address: UnsafeRawBufferPointer) -> String {
        switch (address[0], address[1]) {
        case (ASCII.g, ASCII.p): "GP"
        case (ASCII.g, ASCII.n): "GN"
        case (ASCII.g, ASCII.l): "GL"
        case (ASCII.g, ASCII.a): "GA"
        case (ASCII.b, ASCII.d): "BD"
        case (ASCII.g, ASCII.b): "GB"
        default: String(decoding: UnsafeRawBufferPointer(rebasing: address[0..<2]), as: UTF8.self)
        }
    }

    /// The three-letter types receivers send most, as literals; nil for others.
    private static func commonType(_ type: UnsafeRawBufferPointer) -> String? {
        if matches(type, "GSV") { return "GSV" }
        if matches(type, "GSA") { return "GSA" }
        if matches(type, "VTG") { return "VTG" }
        if matches(type, "GLL") { return "GLL" }
        if matches(type, "ZDA") { return "ZDA" }
        if matches(type, "TXT") { return "TXT" }
        if matches(type, "GNS") { return "GNS" }
        if matches(type, "GST") { return "GST" }
        return nil
    }

    private static func parseDetection(_ fields: inout Fields) throws(SentenceError) -> Sentence {
        let sensor = try fields.text("sensor")
        let seq = try fields.integer("seq", min: 0, max: 65535)
        let detectionClass = try fields.choice("class", DetectionClass.self)
        let strength = try fields.integer("strength", min: 0, max: 100)
        return .detection(sensor: sensor, seq: seq, detectionClass: detectionClass, strength: strength)
    }

    private static func parseStatus(_ fields: inout Fields) throws(SentenceError) -> Sentence {
        let sensor = try fields.text("sensor")
        let batteryMv = try fields.integer("battery_mv", min: 0, max: nil)
        let tempC = try fields.decimal("temp_c")
        let tamper = try fields.flag("tamper")
        return .status(sensor: sensor, batteryMv: batteryMv, tempC: tempC, tamper: tamper)
    }

    private static func parseCapture(_ fields: inout Fields) throws(SentenceError) -> Sentence {
        let camera = try fields.text("camera")
        let seq = try fields.integer("seq", min: 0, max: 65535)
        let trigger = try fields.choice("trigger", CameraTrigger.self)
        let imageRef = try fields.text("image_ref")
        return .capture(camera: camera, seq: seq, trigger: trigger, imageRef: imageRef)
    }
}

/// GGA and RMC: lenient by design. Anything wrong with them means "no usable
/// position", never an error, because receivers without lock send empty and
/// placeholder fields as a matter of course.
private enum GPSParser {
    /// `$--GGA,hhmmss.ss,llll.ll,a,yyyyy.yy,a,quality,...`
    static func gga(talker: String, _ reader: inout FieldReader) -> Sentence {
        let time = reader.next()
        guard let lat = reader.next(), let ns = reader.next(), let lon = reader.next(), let ew = reader.next(),
            let quality = reader.next(),
            quality.count == 1, quality[0] >= ASCII.digit1, quality[0] <= ASCII.digit9,
            let position = position(lat, ns, lon, ew)
        else { return .noFix(sentence: "GGA", talker: talker) }
        return .fix(
            GPSFix(
                position: position, sentence: "GGA", talker: talker, secondsOfDay: time.flatMap(secondsOfDay)))
    }

    /// `$--RMC,hhmmss.ss,status,llll.ll,a,yyyyy.yy,a,speed,course,ddmmyy,...`
    static func rmc(talker: String, _ reader: inout FieldReader) -> Sentence {
        let time = reader.next()
        guard let status = reader.next(), status.count == 1, status[0] == ASCII.a,
            let lat = reader.next(), let ns = reader.next(), let lon = reader.next(), let ew = reader.next(),
            let position = position(lat, ns, lon, ew)
        else { return .noFix(sentence: "RMC", talker: talker) }
        _ = reader.next()  // speed
        _ = reader.next()  // course
        var fix = GPSFix(
            position: position, sentence: "RMC", talker: talker, secondsOfDay: time.flatMap(secondsOfDay))
        if let date = reader.next().flatMap(date) {
            (fix.day, fix.month, fix.year) = date
        }
        return .fix(fix)
    }

    static func position(
        _ lat: UnsafeRawBufferPointer, _ ns: UnsafeRawBufferPointer, _ lon: UnsafeRawBufferPointer,
        _ ew: UnsafeRawBufferPointer
    ) -> Position? {
        guard ns.count == 1, ns[0] == ASCII.n || ns[0] == ASCII.s,
            ew.count == 1, ew[0] == ASCII.e || ew[0] == ASCII.w,
            let latitude = degrees(lat, limit: 90), let longitude = degrees(lon, limit: 180)
        else { return nil }
        return Position(lat: ns[0] == ASCII.s ? -latitude : latitude, lon: ew[0] == ASCII.w ? -longitude : longitude)
    }

    /// `dddmm.mmmm` to decimal degrees. The whole degrees and whole minutes
    /// are split as integers and only the minute fraction is a Double, so
    /// the result is as exact as gpsd's (which the replay tests compare to
    /// 1e-7 degrees) without a round trip through string-to-double parsing.
    static func degrees(_ field: UnsafeRawBufferPointer, limit: Int) -> Double? {
        guard let number = DecimalDigits(field), number.integerDigits >= 1, number.integerDigits <= 5 else {
            return nil
        }
        let wholeDegrees = number.integer / 100
        let wholeMinutes = number.integer % 100
        guard wholeMinutes < 60 else { return nil }
        let minutes = Double(wholeMinutes) + number.fraction
        let value = Double(wholeDegrees) + minutes / 60
        guard value <= Double(limit) else { return nil }
        return value
    }

    /// `hhmmss` or `hhmmss.sss`; 60 seconds is allowed for a leap second.
    static func secondsOfDay(_ field: UnsafeRawBufferPointer) -> Double? {
        guard let number = DecimalDigits(field), number.integerDigits == 6 else { return nil }
        let hours = number.integer / 10000
        let minutes = number.integer / 100 % 100
        let seconds = number.integer % 100
        guard hours < 24, minutes < 60, seconds <= 60 else { return nil }
        return Double(hours * 3600 + minutes * 60 + seconds) + number.fraction
    }

    static func date(_ field: UnsafeRawBufferPointer) -> (Int, Int, Int)? {
        guard let number = DecimalDigits(field), number.integerDigits == 6, !number.hasPoint else { return nil }
        let day = number.integer / 10000
        let month = number.integer / 100 % 100
        let twoDigitYear = number.integer % 100
        guard (1...31).contains(day), (1...12).contains(month) else { return nil }
        return (day, month, twoDigitYear >= 69 ? 1900 + twoDigitYear : 2000 + twoDigitYear)
    }
}

/// An unsigned decimal `digits[.digits]`, split so callers can do integer
/// arithmetic on the whole part.
private struct DecimalDigits {
    var integer = 0
    var integerDigits = 0
    /// The digits after the point, as a value in 0..<1.
    var fraction = 0.0
    var hasPoint = false

    /// Digits past this many are below a Double's precision anyway.
    private static let maximumFractionDigits = 15

    init?(_ field: UnsafeRawBufferPointer) {
        var index = 0
        while index < field.count, let digit = ASCII.digitValue(field[index]) {
            guard integerDigits < 9 else { return nil }
            integer = integer * 10 + digit
            integerDigits += 1
            index += 1
        }
        guard integerDigits > 0 else { return nil }
        guard index < field.count else { return }
        guard field[index] == ASCII.point else { return nil }
        hasPoint = true
        index += 1
        var numerator = 0
        var scale = 1
        while index < field.count {
            guard let digit = ASCII.digitValue(field[index]) else { return nil }
            if scale < 1_000_000_000_000_000 {
                numerator = numerator * 10 + digit
                scale *= 10
            }
            index += 1
        }
        // Both are exact in a Double, so this is one correctly rounded division.
        fraction = Double(numerator) / Double(scale)
    }
}

/// Walks the comma-separated fields of a body without copying them.
private struct FieldReader {
    let bytes: UnsafeRawBufferPointer
    /// Start of the next field; past the end once the last field was read.
    var start = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    @inline(__always)
    mutating func next() -> UnsafeRawBufferPointer? {
        let count = bytes.count
        guard start <= count, let base = bytes.baseAddress else {
            // An empty body (no base address) still has its one empty field.
            guard start == 0 else { return nil }
            start = 1
            return bytes
        }
        var end = start
        while end < count && base.load(fromByteOffset: end, as: UInt8.self) != ASCII.comma { end += 1 }
        let field = UnsafeRawBufferPointer(start: base + start, count: end - start)
        start = end + 1
        return field
    }
}

/// The strict field rules of Picket's own sentences, each failure named after
/// its field.
private struct Fields {
    let sentence: String
    var reader: FieldReader

    private mutating func next(_ name: String) throws(SentenceError) -> UnsafeRawBufferPointer {
        guard let field = reader.next() else {
            throw SentenceError(sentence: sentence, field: name, value: "", reason: .missing)
        }
        return field
    }

    private func error(_ name: String, _ field: UnsafeRawBufferPointer, _ reason: SentenceError.Reason)
        -> SentenceError
    {
        SentenceError(sentence: sentence, field: name, value: String(decoding: field, as: UTF8.self), reason: reason)
    }

    /// A non-empty identifier, kept as sent.
    mutating func text(_ name: String) throws(SentenceError) -> String {
        let field = try next(name)
        guard !field.isEmpty else { throw error(name, field, .empty) }
        return String(decoding: field, as: UTF8.self)
    }

    /// `-?digits`. Negative numbers parse so the error says "out of range",
    /// which is what is wrong with them.
    mutating func integer(_ name: String, min: Int, max: Int?) throws(SentenceError) -> Int {
        let field = try next(name)
        var index = 0
        let negative = !field.isEmpty && field[0] == ASCII.minus
        if negative { index = 1 }
        guard index < field.count else { throw error(name, field, .notInteger) }
        var value = 0
        var overflow = false
        while index < field.count {
            guard let digit = ASCII.digitValue(field[index]) else { throw error(name, field, .notInteger) }
            // Saturate: any value this large is out of every range used here.
            if value < 1_000_000_000_000 { value = value * 10 + digit } else { overflow = true }
            index += 1
        }
        if negative { value = -value }
        guard !overflow, value >= min, max.map({ value <= $0 }) ?? true else {
            throw error(name, field, .outOfRange(min: min, max: max))
        }
        return value
    }

    /// `-?digits[.digits]` (or `-?.digits`); no exponent, sign `+`, `inf` or
    /// `nan`, which `Double(_:)` alone would accept.
    mutating func decimal(_ name: String) throws(SentenceError) -> Double {
        let field = try next(name)
        var index = field.first == ASCII.minus ? 1 : 0
        var digits = 0
        var points = 0
        while index < field.count {
            if ASCII.digitValue(field[index]) != nil {
                digits += 1
            } else if field[index] == ASCII.point && points == 0 {
                points += 1
            } else {
                throw error(name, field, .notDecimal)
            }
            index += 1
        }
        guard digits > 0, let value = Double(String(decoding: field, as: UTF8.self)) else {
            throw error(name, field, .notDecimal)
        }
        return value
    }

    /// Exactly `0` or `1`.
    mutating func flag(_ name: String) throws(SentenceError) -> Bool {
        let field = try next(name)
        guard field.count == 1, field[0] == ASCII.digit0 || field[0] == ASCII.digit1 else {
            throw error(name, field, .notOneOf(["0", "1"]))
        }
        return field[0] == ASCII.digit1
    }

    /// One of an enum's raw values, exactly (case matters).
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, _: Choice.Type
    ) throws(SentenceError) -> Choice where Choice.RawValue == String {
        let field = try next(name)
        guard let value = Choice(rawValue: String(decoding: field, as: UTF8.self)) else {
            throw error(name, field, .notOneOf(Choice.allCases.map(\.rawValue)))
        }
        return value
    }
}

@inline(__always)
private func matches(_ field: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
    guard field.count == text.utf8CodeUnitCount else { return false }
    let expected = text.utf8Start
    for index in 0..<field.count where field[index] != expected[index] { return false }
    return true
}

private enum ASCII {
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let point: UInt8 = 0x2E
    static let digit0: UInt8 = 0x30
    static let digit1: UInt8 = 0x31
    static let digit9: UInt8 = 0x39
    static let a: UInt8 = 0x41
    static let b: UInt8 = 0x42
    static let d: UInt8 = 0x44
    static let e: UInt8 = 0x45
    static let g: UInt8 = 0x47
    static let l: UInt8 = 0x4C
    static let n: UInt8 = 0x4E
    static let p: UInt8 = 0x50
    static let s: UInt8 = 0x53
    static let w: UInt8 = 0x57

    static func digitValue(_ byte: UInt8) -> Int? {
        byte >= digit0 && byte <= digit9 ? Int(byte - digit0) : nil
    }

    static func isUpperLetter(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
}
