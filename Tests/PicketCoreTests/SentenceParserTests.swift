import PicketCore
import Testing

private func parsed(_ body: String) -> Sentence? {
    try? SentenceParser.parse(body).get()
}

private func failure(_ body: String) -> SentenceError? {
    guard case .failure(let error) = SentenceParser.parse(body) else { return nil }
    return error
}

private func gpsFix(_ body: String) -> GPSFix? {
    guard case .fix(let fix)? = parsed(body) else { return nil }
    return fix
}

private func isNear(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

@Suite struct DetectionSentenceTests {
    @Test func parsesTheProductExample() {
        #expect(
            parsed("PGSD,seis-7,12,FOOT,64")
                == .detection(sensor: "seis-7", seq: 12, detectionClass: .foot, strength: 64))
    }

    @Test(arguments: DetectionClass.allCases)
    func parsesEveryClass(detectionClass: DetectionClass) {
        #expect(
            parsed("PGSD,s,1,\(detectionClass.rawValue),5")
                == .detection(sensor: "s", seq: 1, detectionClass: detectionClass, strength: 5))
    }

    @Test(arguments: [(0, 0), (65535, 100), (7, 0), (0, 100)])
    func acceptsBoundaries(seq: Int, strength: Int) {
        #expect(
            parsed("PGSD,s,\(seq),VEH,\(strength)")
                == .detection(sensor: "s", seq: seq, detectionClass: .vehicle, strength: strength))
    }

    @Test func ignoresExtraTrailingFields() {
        #expect(
            parsed("PGSD,s,00012,ANIM,064,future,,fields")
                == .detection(sensor: "s", seq: 12, detectionClass: .animal, strength: 64))
    }

    @Test(arguments: [
        ("PGSD", "sensor", "", SentenceError.Reason.missing),
        ("PGSD,", "sensor", "", .empty),
        ("PGSD,,1,FOOT,5", "sensor", "", .empty),
        ("PGSD,s", "seq", "", .missing),
        ("PGSD,s,", "seq", "", .notInteger),
        ("PGSD,s,1a,FOOT,5", "seq", "1a", .notInteger),
        ("PGSD,s,+1,FOOT,5", "seq", "+1", .notInteger),
        ("PGSD,s, 1,FOOT,5", "seq", " 1", .notInteger),
        ("PGSD,s,1.0,FOOT,5", "seq", "1.0", .notInteger),
        ("PGSD,s,-,FOOT,5", "seq", "-", .notInteger),
        ("PGSD,s,70000,FOOT,5", "seq", "70000", .outOfRange(min: 0, max: 65535)),
        ("PGSD,s,65536,FOOT,5", "seq", "65536", .outOfRange(min: 0, max: 65535)),
        ("PGSD,s,-1,FOOT,5", "seq", "-1", .outOfRange(min: 0, max: 65535)),
        ("PGSD,s,99999999999999999999999,FOOT,5", "seq", "99999999999999999999999", .outOfRange(min: 0, max: 65535)),
        ("PGSD,s,1", "class", "", .missing),
        ("PGSD,s,1,foot,5", "class", "foot", .notOneOf(["FOOT", "VEH", "ANIM", "UNK"])),
        ("PGSD,s,1,CAR,5", "class", "CAR", .notOneOf(["FOOT", "VEH", "ANIM", "UNK"])),
        ("PGSD,s,1,,5", "class", "", .notOneOf(["FOOT", "VEH", "ANIM", "UNK"])),
        ("PGSD,s,1,FOOT", "strength", "", .missing),
        ("PGSD,s,1,FOOT,", "strength", "", .notInteger),
        ("PGSD,s,1,FOOT,101", "strength", "101", .outOfRange(min: 0, max: 100)),
        ("PGSD,s,1,FOOT,-3", "strength", "-3", .outOfRange(min: 0, max: 100)),
        ("PGSD,s,1,FOOT,5.5", "strength", "5.5", .notInteger),
    ])
    func rejectsBadFields(body: String, field: String, value: String, reason: SentenceError.Reason) {
        #expect(failure(body) == SentenceError(sentence: "PGSD", field: field, value: value, reason: reason))
    }

    @Test func errorDescriptionsNameSentenceFieldAndValue() {
        #expect(failure("PGSD,s,70000,FOOT,5")?.description == "$PGSD field seq: '70000' is not 0-65535")
        #expect(failure("PGSD,s,1,CAR,5")?.description == "$PGSD field class: 'CAR' is not FOOT, VEH, ANIM or UNK")
        #expect(failure("PGSD,s,1")?.description == "$PGSD field class: missing")
        #expect(failure("PGSD,,1,FOOT,5")?.description == "$PGSD field sensor: is empty")
        #expect(failure("PGSD,s,x,FOOT,5")?.description == "$PGSD field seq: 'x' is not an integer")
    }
}

@Suite struct StatusSentenceTests {
    @Test(arguments: [
        ("PGSS,seis-7,3712,-4.5,0", 3712, -4.5, false),
        ("PGSS,seis-7,0,21,1", 0, 21.0, true),
        ("PGSS,seis-7,4100,0.25,0,extra", 4100, 0.25, false),
        ("PGSS,seis-7,4100,-0.0,0", 4100, 0.0, false),
        ("PGSS,seis-7,4100,.5,1", 4100, 0.5, true),
        ("PGSS,seis-7,4100,-12.,1", 4100, -12.0, true),
        ("PGSS,seis-7,123456789,40.125,0", 123_456_789, 40.125, false),
    ])
    func parsesValidStatus(body: String, batteryMv: Int, tempC: Double, tamper: Bool) {
        #expect(parsed(body) == .status(sensor: "seis-7", batteryMv: batteryMv, tempC: tempC, tamper: tamper))
    }

    @Test(arguments: [
        ("PGSS", "sensor", "", SentenceError.Reason.missing),
        ("PGSS,,3700,20,0", "sensor", "", .empty),
        ("PGSS,s", "battery_mv", "", .missing),
        ("PGSS,s,-1,20,0", "battery_mv", "-1", .outOfRange(min: 0, max: nil)),
        ("PGSS,s,3.7,20,0", "battery_mv", "3.7", .notInteger),
        ("PGSS,s,,20,0", "battery_mv", "", .notInteger),
        ("PGSS,s,3700", "temp_c", "", .missing),
        ("PGSS,s,3700,,0", "temp_c", "", .notDecimal),
        ("PGSS,s,3700,abc,0", "temp_c", "abc", .notDecimal),
        ("PGSS,s,3700,1e3,0", "temp_c", "1e3", .notDecimal),
        ("PGSS,s,3700,+5,0", "temp_c", "+5", .notDecimal),
        ("PGSS,s,3700,1.2.3,0", "temp_c", "1.2.3", .notDecimal),
        ("PGSS,s,3700,-,0", "temp_c", "-", .notDecimal),
        ("PGSS,s,3700,.,0", "temp_c", ".", .notDecimal),
        ("PGSS,s,3700,--1,0", "temp_c", "--1", .notDecimal),
        ("PGSS,s,3700,nan,0", "temp_c", "nan", .notDecimal),
        ("PGSS,s,3700,inf,0", "temp_c", "inf", .notDecimal),
        ("PGSS,s,3700,0x1p3,0", "temp_c", "0x1p3", .notDecimal),
        ("PGSS,s,3700,20", "tamper", "", .missing),
        ("PGSS,s,3700,20,", "tamper", "", .notOneOf(["0", "1"])),
        ("PGSS,s,3700,20,2", "tamper", "2", .notOneOf(["0", "1"])),
        ("PGSS,s,3700,20,01", "tamper", "01", .notOneOf(["0", "1"])),
        ("PGSS,s,3700,20,true", "tamper", "true", .notOneOf(["0", "1"])),
    ])
    func rejectsBadFields(body: String, field: String, value: String, reason: SentenceError.Reason) {
        #expect(failure(body) == SentenceError(sentence: "PGSS", field: field, value: value, reason: reason))
    }

    @Test func errorDescriptions() {
        #expect(failure("PGSS,s,-1,20,0")?.description == "$PGSS field battery_mv: '-1' is not >= 0")
        #expect(failure("PGSS,s,3700,warm,0")?.description == "$PGSS field temp_c: 'warm' is not a decimal number")
        #expect(failure("PGSS,s,3700,20,2")?.description == "$PGSS field tamper: '2' is not 0 or 1")
    }
}

@Suite struct CaptureSentenceTests {
    @Test(arguments: CameraTrigger.allCases)
    func parsesEveryTrigger(trigger: CameraTrigger) {
        #expect(
            parsed("PCAM,cam-2,7,\(trigger.rawValue),IMG_0007.JPG")
                == .capture(camera: "cam-2", seq: 7, trigger: trigger, imageRef: "IMG_0007.JPG"))
    }

    @Test func ignoresExtraTrailingFields() {
        #expect(
            parsed("PCAM,cam-2,65535,TIMER,sd0/DCIM/0001.jpg,4032x3024")
                == .capture(camera: "cam-2", seq: 65535, trigger: .timer, imageRef: "sd0/DCIM/0001.jpg"))
    }

    @Test(arguments: [
        ("PCAM", "camera", "", SentenceError.Reason.missing),
        ("PCAM,,7,PIR,a.jpg", "camera", "", .empty),
        ("PCAM,c", "seq", "", .missing),
        ("PCAM,c,x,PIR,a.jpg", "seq", "x", .notInteger),
        ("PCAM,c,65536,PIR,a.jpg", "seq", "65536", .outOfRange(min: 0, max: 65535)),
        ("PCAM,c,-2,PIR,a.jpg", "seq", "-2", .outOfRange(min: 0, max: 65535)),
        ("PCAM,c,7", "trigger", "", .missing),
        ("PCAM,c,7,pir,a.jpg", "trigger", "pir", .notOneOf(["PIR", "TIMER", "MANUAL"])),
        ("PCAM,c,7,MOTION,a.jpg", "trigger", "MOTION", .notOneOf(["PIR", "TIMER", "MANUAL"])),
        ("PCAM,c,7,PIR", "image_ref", "", .missing),
        ("PCAM,c,7,PIR,", "image_ref", "", .empty),
    ])
    func rejectsBadFields(body: String, field: String, value: String, reason: SentenceError.Reason) {
        #expect(failure(body) == SentenceError(sentence: "PCAM", field: field, value: value, reason: reason))
    }

    @Test func errorDescription() {
        #expect(
            failure("PCAM,c,7,MOTION,a.jpg")?.description == "$PCAM field trigger: 'MOTION' is not PIR, TIMER or MANUAL"
        )
    }
}

@Suite struct GGASentenceTests {
    static let example = "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"

    @Test func parsesTheTextbookExample() throws {
        let fix = try #require(gpsFix(Self.example))
        #expect(fix.sentence == "GGA")
        #expect(fix.talker == "GP")
        #expect(isNear(fix.position.lat, 48 + 7.038 / 60))
        #expect(isNear(fix.position.lon, 11 + 31.0 / 60))
        #expect(fix.secondsOfDay == 45319.0)
        #expect(fix.day == nil && fix.month == nil && fix.year == nil)
    }

    @Test(arguments: ["GP", "GN", "GA", "GL", "BD", "GB", "IN", "QZ"])
    func acceptsAnyTalker(talker: String) {
        let body = talker + Self.example.dropFirst(2)
        #expect(gpsFix(body)?.talker == talker)
        #expect(gpsFix(body)?.sentence == "GGA")
    }

    @Test(arguments: ["1", "2", "4", "5", "6", "9"])
    func anyQualityDigitAboveZeroIsAFix(quality: String) {
        #expect(gpsFix("GNGGA,123519,4807.038,N,01131.000,E,\(quality),08,0.9,545.4,M,46.9,M,,") != nil)
    }

    @Test(arguments: ["0", "", "10", "01", "A", " 1", "-1"])
    func otherQualitiesAreNoFix(quality: String) {
        #expect(
            parsed("GNGGA,123519,4807.038,N,01131.000,E,\(quality),08,0.9,545.4,M,46.9,M,,")
                == .noFix(sentence: "GGA", talker: "GN"))
    }

    @Test(
        arguments: [
            ("4807.038", "S", "01131.000", "W", -(48 + 7.038 / 60), -(11 + 31.0 / 60)),
            ("3746.1234567", "N", "12225.7654321", "W", 37 + 46.1234567 / 60, -(122 + 25.7654321 / 60)),
            ("9000.0000", "N", "18000.0000", "E", 90, 180),
            ("0000.0000", "S", "00000.0000", "W", 0, 0),
            ("0059.9999", "N", "17959.9999", "E", 59.9999 / 60, 179 + 59.9999 / 60),
            ("4807", "N", "01131", "E", 48 + 7.0 / 60, 11 + 31.0 / 60),
            // More fraction digits than a Double holds: rounds up to a whole degree, still valid.
            ("0059.99999999999999999999", "N", "17959.99999999999999999", "W", 1, -180),
        ] as [(String, String, String, String, Double, Double)])
    func convertsCoordinates(lat: String, ns: String, lon: String, ew: String, wantLat: Double, wantLon: Double) {
        let fix = gpsFix("GPGGA,123519,\(lat),\(ns),\(lon),\(ew),1,08,0.9,545.4,M,46.9,M,,")
        #expect(fix.map { isNear($0.position.lat, wantLat) && isNear($0.position.lon, wantLon) } == true)
    }

    @Test(arguments: [
        ",N,01131.000,E", "4807.038,,01131.000,E", "4807.038,N,,E", "4807.038,N,01131.000,",
        "48x7.038,N,01131.000,E", "4807.038,X,01131.000,E", "4807.038,n,01131.000,E", "4807.038,N,01131.000,e",
        "4860.000,N,01131.000,E", "9000.001,N,01131.000,E", "9100.000,N,01131.000,E", "4807.038,N,18000.01,E",
        "4807.038,N,18100.000,E", "-4807.038,N,01131.000,E", "4807.03.8,N,01131.000,E", ".038,N,01131.000,E",
        "4807.038,N,0113 1.000,E", "4807.038,NN,01131.000,E", "1234567.0,N,01131.000,E",
    ])
    func badCoordinatesAreNoFix(coordinates: String) {
        #expect(
            parsed("GPGGA,123519,\(coordinates),1,08,0.9,545.4,M,46.9,M,,") == .noFix(sentence: "GGA", talker: "GP"))
    }

    @Test(arguments: ["GPGGA", "GPGGA,", "GPGGA,123519,4807.038,N,01131.000,E", "GPGGA,,,,,,0,00,99.99,,,,,,"])
    func shortOrEmptySentencesAreNoFix(body: String) {
        #expect(parsed(body) == .noFix(sentence: "GGA", talker: "GP"))
    }

    @Test func aTruncatedTailAfterQualityStillGivesTheFix() {
        #expect(gpsFix("GPGGA,123519,4807.038,N,01131.000,E,1") != nil)
    }

    @Test(
        arguments: [
            ("123519", 45319.0), ("123519.50", 45319.5), ("000000.000", 0), ("235960", 86400),
            ("030129.0", 10889), ("", nil), ("1235", nil), ("12351.9", nil), ("243000", nil), ("126000", nil),
            ("123561", nil), ("12:35:19", nil),
        ] as [(String, Double?)])
    func readsTheTimeOfDay(time: String, seconds: Double?) {
        let fix = gpsFix("GPGGA,\(time),4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")
        #expect(fix != nil)
        #expect(fix?.secondsOfDay == seconds)
    }
}

@Suite struct RMCSentenceTests {
    static let example = "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"

    @Test func parsesTheTextbookExample() throws {
        let fix = try #require(gpsFix(Self.example))
        #expect(fix.sentence == "RMC")
        #expect(fix.talker == "GP")
        #expect(isNear(fix.position.lat, 48 + 7.038 / 60))
        #expect(isNear(fix.position.lon, 11 + 31.0 / 60))
        #expect(fix.secondsOfDay == 45319)
        #expect(fix.day == 23 && fix.month == 3 && fix.year == 1994)
    }

    @Test(arguments: ["GN", "GL", "GA", "BD", "IN"])
    func acceptsAnyTalker(talker: String) {
        #expect(gpsFix(talker + Self.example.dropFirst(2))?.talker == talker)
    }

    @Test(arguments: ["V", "", "a", "AA", "D"])
    func statusOtherThanAIsNoFix(status: String) {
        #expect(
            parsed("GNRMC,123519,\(status),4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")
                == .noFix(sentence: "RMC", talker: "GN"))
    }

    @Test(arguments: [
        "GPRMC,,V,,,,,,,,,", "GPRMC,123519,A", "GPRMC,123519,A,4807.038,N,01131.000",
        "GPRMC,123519,A,,,,,022.4,084.4,230394,003.1,W", "GPRMC,123519,A,4807.038,N,18131.000,E,0,0,230394",
    ])
    func missingOrBadPositionIsNoFix(body: String) {
        #expect(parsed(body) == .noFix(sentence: "RMC", talker: "GP"))
    }

    @Test(arguments: [
        ("230394", 23, 3, 1994), ("010125", 1, 1, 2025), ("311268", 31, 12, 2068), ("010169", 1, 1, 1969),
        ("220899", 22, 8, 1999),
    ])
    func readsTheDate(date: String, day: Int, month: Int, year: Int) {
        let fix = gpsFix("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,\(date),003.1,W")
        #expect(fix?.day == day && fix?.month == month && fix?.year == year)
    }

    @Test(arguments: ["", "320194", "001294", "011394", "0101", "01012025", "0101.25", "x10194"])
    func badDateStillGivesTheFixWithoutDate(date: String) {
        let fix = gpsFix("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,\(date),003.1,W")
        #expect(fix != nil)
        #expect(fix?.day == nil && fix?.month == nil && fix?.year == nil)
    }

    @Test func noDateFieldStillGivesTheFix() {
        let fix = gpsFix("GPRMC,123519.25,A,4807.038,S,01131.000,W")
        #expect(fix?.secondsOfDay == 45319.25)
        #expect(fix?.year == nil)
        #expect(fix.map { $0.position.lat < 0 && $0.position.lon < 0 } == true)
    }
}

@Suite struct OtherSentenceTests {
    @Test(arguments: [
        ("GPGSV,3,1,11,08,75,303,44", "GSV"), ("GNGSA,A,3,,,,", "GSA"), ("GPZDA,123519,23,03,1994,00,00", "ZDA"),
        ("GPGLL,2638.1728,N,08011.3893,W,030131.000,A,A", "GLL"), ("PLCS,1,2", "PLCS"), ("PGRME,15.0,M", "PGRME"),
        ("PSTMVER,foo", "PSTMVER"), ("P", "P"), ("PGSDX,s,1,FOOT,5", "PGSDX"), ("PGS,s", "PGS"),
        ("GP", "GP"), ("GPN", "GPN"), ("GPGGAX,1", "GPGGAX"), ("gpgga,1", "gpgga"), ("12GGA,1", "12GGA"),
        ("GPgga,1", "gga"),
    ])
    func unusedSentencesAreOther(body: String, type: String) {
        #expect(parsed(body) == .other(type: type))
    }

    @Test func emptyAddressIsAnError() {
        #expect(failure("") == SentenceError(sentence: "", field: "address", value: "", reason: .empty))
        #expect(failure(",1,2")?.field == "address")
    }

    @Test(arguments: [
        "PGSD,seis-7,12,FOOT,64", "PGSS,s,1,2,3", "GPGGA,123519,4807.038,N,01131.000,E,1,08", "GPGSV,1", "",
        "PCAM,c,7,PIR,x",
    ])
    func byteStringAndPointerEntryPointsAgree(body: String) {
        let bytes = Array(body.utf8)
        let viaPointer = bytes.withUnsafeBytes { SentenceParser.parse($0) }
        #expect(SentenceParser.parse(bytes) == viaPointer)
        #expect(SentenceParser.parse(body) == viaPointer)
    }

    @Test func parsesStraightFromTheFramerBuffer() {
        var framer = NMEAFramer()
        var sentences: [Sentence] = []
        framer.feed(Array(("$PGSD,seis-7,12,FOOT,64*05\r\n" + nmeaFrame("GPGSV,1")).utf8)) { body in
            if case .success(let sentence) = SentenceParser.parse(body) { sentences.append(sentence) }
        }
        #expect(
            sentences == [
                .detection(sensor: "seis-7", seq: 12, detectionClass: .foot, strength: 64), .other(type: "GSV"),
            ])
    }
}
