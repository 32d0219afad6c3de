/// The abbreviations a zone's clocks show (`CET`, `CEST`, `EST`), read from
/// the zone's compiled tz database file (TZif, RFC 8536).
///
/// Foundation on Linux answers `TimeZone.abbreviation(for:)` from ICU's
/// English names, which know `GMT+1` for Berlin and no `CET`; the tz database
/// the system's clock already uses has the names a landowner's phone and
/// kitchen clock show. Parsing is pure: the caller reads the file
/// (`/usr/share/zoneinfo/Europe/Berlin`) and hands over its bytes.
public struct ZoneNames: Sendable, Equatable {
    /// One local time type: its offset from UTC, whether it is daylight
    /// saving time, and its abbreviation.
    struct Kind: Sendable, Equatable {
        var offset: Int
        var isDST: Bool
        var name: String
    }

    /// Transition times (UTC seconds), ascending, and the kind in force from each.
    var transitions: [Int64]
    var kindAfter: [Int]
    var kinds: [Kind]
    /// From the footer's POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`): the
    /// names and offsets for times after the last transition.
    var future: [Kind] = []

    /// Parses a TZif file; nil when the bytes are not one.
    public init?(tzif bytes: [UInt8]) {
        var reader = Reader(data: bytes)
        guard let first = reader.header() else { return nil }
        var header = first
        var timeSize = 4
        if first.version >= 2 {
            // Version 2 and later repeat the data with 64-bit times after the 32-bit block.
            guard reader.skip(first.blockLength(timeSize: 4)), let second = reader.header() else { return nil }
            header = second
            timeSize = 8
        }
        var transitions: [Int64] = []
        for _ in 0..<header.timeCount {
            guard let t = timeSize == 8 ? reader.int64() : reader.int32().map(Int64.init) else { return nil }
            transitions.append(t)
        }
        var kindAfter: [Int] = []
        for _ in 0..<header.timeCount {
            guard let index = reader.byte(), Int(index) < header.typeCount else { return nil }
            kindAfter.append(Int(index))
        }
        var raw: [(offset: Int, isDST: Bool, nameIndex: Int)] = []
        for _ in 0..<header.typeCount {
            guard let offset = reader.int32(), let dst = reader.byte(), let nameIndex = reader.byte() else {
                return nil
            }
            raw.append((Int(offset), dst != 0, Int(nameIndex)))
        }
        guard let characters = reader.bytes(header.charCount).map(Array.init) else { return nil }
        var kinds: [Kind] = []
        for entry in raw {
            guard entry.nameIndex < characters.count else { return nil }
            let name = characters[entry.nameIndex...].prefix { $0 != 0 }
            kinds.append(Kind(offset: entry.offset, isDST: entry.isDST, name: String(decoding: name, as: UTF8.self)))
        }
        guard !kinds.isEmpty else { return nil }
        self.transitions = transitions
        self.kindAfter = kindAfter
        self.kinds = kinds
        if header.version >= 2,
            reader.skip(header.blockLength(timeSize: 8) - header.dataLength(timeSize: 8)),
            let footer = reader.footer()
        {
            future = Self.kinds(posixTZ: footer)
        }
    }

    /// The abbreviation at `seconds` (UTC), when the file's kind in force
    /// then is `offset` seconds from UTC (what Foundation says of the
    /// instant); nil when they disagree or the file has no name for it.
    public func name(at seconds: Int64, offset: Int) -> String? {
        if let last = transitions.last, seconds >= last, !future.isEmpty {
            // The footer's rule governs everything after the last transition.
            return future.first { $0.offset == offset }?.name
        }
        let kind: Kind
        if let index = transitions.lastIndex(where: { $0 <= seconds }) {
            kind = kinds[kindAfter[index]]
        } else {
            kind = kinds[0]
        }
        return kind.offset == offset ? kind.name : nil
    }

    /// The standard and daylight kinds of a POSIX TZ string: `EST5EDT,...`
    /// gives EST at -5 h and EDT at -4 h, `<+0330>-3:30` +0330 at +3:30.
    /// POSIX counts hours west of Greenwich; daylight time is an hour ahead
    /// of standard time unless it says otherwise.
    static func kinds(posixTZ: String) -> [Kind] {
        var rest = Substring(posixTZ)
        func name() -> String? {
            if rest.first == "<" {
                guard let close = rest.firstIndex(of: ">") else { return nil }
                let text = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                return String(text)
            }
            let letters = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(letters.count)
            return letters.count >= 3 ? String(letters) : nil
        }
        func offset() -> Int? {
            let text = rest.prefix { "+-0123456789:".contains($0) }
            rest = rest.dropFirst(text.count)
            var digits = Substring(text)
            var sign = -1
            if let first = digits.first, first == "+" || first == "-" {
                if first == "-" { sign = 1 }
                digits = digits.dropFirst()
            }
            let parts = digits.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
            let values = parts.map { $0 ?? 0 }
            let seconds =
                values[0] * 3600 + (values.count > 1 ? values[1] * 60 : 0) + (values.count > 2 ? values[2] : 0)
            return sign * seconds
        }
        guard let standard = name(), let standardOffset = offset() else { return [] }
        var kinds = [Kind(offset: standardOffset, isDST: false, name: standard)]
        if let daylight = name() {
            let explicit = rest.first.map { "+-0123456789".contains($0) } ?? false
            let daylightOffset = explicit ? offset() : standardOffset + 3600
            if let daylightOffset { kinds.append(Kind(offset: daylightOffset, isDST: true, name: daylight)) }
        }
        return kinds
    }

    /// The header fields that size the data that follows.
    struct Header {
        var version: Int
        var isUTCount: Int
        var isStdCount: Int
        var leapCount: Int
        var timeCount: Int
        var typeCount: Int
        var charCount: Int

        /// Transitions, their kinds, the kinds and their names.
        func dataLength(timeSize: Int) -> Int {
            timeCount * timeSize + timeCount + typeCount * 6 + charCount
        }

        /// The whole data block after the header.
        func blockLength(timeSize: Int) -> Int {
            dataLength(timeSize: timeSize) + leapCount * (timeSize + 4) + isStdCount + isUTCount
        }
    }

    /// Big-endian fields from the front of a byte array; nil past its end.
    struct Reader {
        let data: [UInt8]
        var at = 0

        mutating func bytes(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, n <= data.count - at else { return nil }
            defer { at += n }
            return data[at..<at + n]
        }

        mutating func skip(_ n: Int) -> Bool { bytes(n) != nil }

        mutating func byte() -> UInt8? { bytes(1)?.first }

        mutating func int32() -> Int32? {
            guard let b = bytes(4) else { return nil }
            return Int32(bitPattern: b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }

        mutating func int64() -> Int64? {
            guard let b = bytes(8) else { return nil }
            return Int64(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }

        mutating func header() -> Header? {
            guard let magic = bytes(4), Array(magic) == Array("TZif".utf8), let version = byte(), skip(15) else {
                return nil
            }
            var counts: [Int] = []
            for _ in 0..<6 {
                guard let n = int32(), n >= 0, n < 1_000_000 else { return nil }
                counts.append(Int(n))
            }
            let number = version == 0 ? 1 : Int(version) - Int(UInt8(ascii: "0"))
            return Header(
                version: number, isUTCount: counts[0], isStdCount: counts[1], leapCount: counts[2],
                timeCount: counts[3], typeCount: counts[4], charCount: counts[5])
        }

        /// The text between the newlines that close a version 2+ file.
        mutating func footer() -> String? {
            guard byte() == UInt8(ascii: "\n") else { return nil }
            let text = data[at...].prefix { $0 != UInt8(ascii: "\n") }
            guard !text.isEmpty, at + text.count < data.count else { return nil }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
