/// What a ground sensor thinks passed it (`$PGSD` field 3). The raw values are
/// the wire spelling, which is also what events store.
public enum DetectionClass: String, Sendable, CaseIterable {
    case foot = "FOOT"
    case vehicle = "VEH"
    case animal = "ANIM"
    case unknown = "UNK"
}

/// Why a trail camera took a picture (`$PCAM` field 3), in its wire spelling.
public enum CameraTrigger: String, Sendable, CaseIterable {
    case pir = "PIR"
    case timer = "TIMER"
    case manual = "MANUAL"
}

/// A position fix from the box's GPS, kept with where it came from so the
/// daemon can log which receiver and sentence moved the box.
public struct GPSFix: Sendable, Equatable {
    public var position: Position
    /// `GGA` or `RMC`.
    public var sentence: String
    /// The two-letter talker (`GP`, `GN`, `GL`, `GA`, `BD`, `IN`, ...).
    public var talker: String
    /// UTC seconds since midnight (`hhmmss.ss`); nil when the field is empty
    /// or not a time of day, since some receivers send a position before they
    /// know the time.
    public var secondsOfDay: Double?
    /// Day of month from RMC's date field; GGA carries no date.
    public var day: Int?
    public var month: Int?
    /// Four-digit year. RMC sends two digits; like gpsd, `yy >= 69` means
    /// 19yy and anything lower 20yy (no GPS week-rollover guessing here).
    public var year: Int?

    public init(
        position: Position, sentence: String, talker: String, secondsOfDay: Double? = nil, day: Int? = nil,
        month: Int? = nil, year: Int? = nil
    ) {
        self.position = position
        self.sentence = sentence
        self.talker = talker
        self.secondsOfDay = secondsOfDay
        self.day = day
        self.month = month
        self.year = year
    }
}

/// One parsed NMEA sentence, reduced to what Picket uses.
///
/// GPS sentences that carry no usable position are `noFix` rather than
/// errors: a receiver without lock is normal, not a fault to report.
public enum Sentence: Sendable, Equatable {
    /// `$PGSD,sensor,seq,class,strength`
    case detection(sensor: String, seq: Int, detectionClass: DetectionClass, strength: Int)
    /// `$PGSS,sensor,battery_mv,temp_c,tamper`
    case status(sensor: String, batteryMv: Int, tempC: Double, tamper: Bool)
    /// `$PCAM,camera,seq,trigger,image_ref`
    case capture(camera: String, seq: Int, trigger: CameraTrigger, imageRef: String)
    /// A GGA with quality 1-9 or an RMC with status `A`, with a valid position.
    case fix(GPSFix)
    /// A GGA or RMC that gives no usable position (no lock, empty or garbage
    /// coordinates, too few fields).
    case noFix(sentence: String, talker: String)
    /// A valid frame Picket does not use: the three-letter type of a talker
    /// sentence (`GSV`, `ZDA`, ...), else the whole address (`PLCS`, `PGRME`).
    case other(type: String)
}

/// A sentence Picket does use whose fields are wrong, carrying enough context
/// for the log line to name the sentence, the field and the value.
public struct SentenceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The sentence ended before this field.
        case missing
        case empty
        case notInteger
        /// An integer outside `min...max` (`max` nil: no upper bound).
        case outOfRange(min: Int, max: Int?)
        case notDecimal
        /// Not one of the listed spellings.
        case notOneOf([String])
    }

    /// The sentence address without `$`, e.g. `PGSD`.
    public var sentence: String
    /// The field's name as PRODUCT.md spells it, e.g. `seq`, `battery_mv`.
    public var field: String
    /// The offending field text (empty when missing).
    public var value: String
    public var reason: Reason

    public init(sentence: String, field: String, value: String, reason: Reason) {
        self.sentence = sentence
        self.field = field
        self.value = value
        self.reason = reason
    }

    /// E.g. `$PGSD field seq: '70000' is not 0-65535`.
    public var description: String {
        let head = "$\(sentence) field \(field): "
        switch reason {
        case .missing:
            return head + "missing"
        case .empty:
            return head + "is empty"
        case .notInteger:
            return head + "'\(value)' is not an integer"
        case .outOfRange(let min, let max?):
            return head + "'\(value)' is not \(min)-\(max)"
        case .outOfRange(let min, nil):
            return head + "'\(value)' is not >= \(min)"
        case .notDecimal:
            return head + "'\(value)' is not a decimal number"
        case .notOneOf(let choices):
            let list =
                choices.count > 1
                ? choices.dropLast().joined(separator: ", ") + " or " + choices[choices.count - 1]
                : choices.joined()
            return head + "'\(value)' is not \(list)"
        }
    }
}
