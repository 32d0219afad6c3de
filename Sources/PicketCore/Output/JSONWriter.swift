/// Writes one JSON object with keys in the order they are added.
///
/// Written by hand rather than with Foundation's `JSONEncoder`: the `--json`
/// outputs must list PRODUCT.md's fields in a fixed order, print times as
/// nine-digit RFC 3339 strings and be byte-identical across runs, and
/// `picket events --json` streams millions of lines, where an encoder per
/// object costs more than the query.
public struct JSONWriter: Sendable {
    private var text = "{"
    private var first = true

    public init() {}

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\""
        text += name
        text += "\":"
    }

    public mutating func string(_ name: String, _ value: String?) {
        key(name)
        if let value { Self.appendQuoted(value, to: &text) } else { text += "null" }
    }

    public mutating func int(_ name: String, _ value: Int64?) {
        key(name)
        text += value.map { String($0) } ?? "null"
    }

    public mutating func int(_ name: String, _ value: Int?) { int(name, value.map(Int64.init)) }

    public mutating func double(_ name: String, _ value: Double?) {
        key(name)
        if let value, value.isFinite { text += "\(value)" } else { text += "null" }
    }

    public mutating func bool(_ name: String, _ value: Bool?) {
        key(name)
        text += value.map { $0 ? "true" : "false" } ?? "null"
    }

    /// An RFC 3339 UTC time with nine fractional digits.
    public mutating func time(_ name: String, _ ns: Int64?) { string(name, ns.map(UTCTime.format)) }

    public mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        text += Self.array(values)
    }

    /// A string-to-string object with sorted keys.
    public mutating func object(_ name: String, _ values: [String: String]) {
        key(name)
        text += Self.object(values)
    }

    /// Inserts already-encoded JSON.
    public mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    /// A position as the object `{"lat": ..., "lon": ...}`, or null.
    public mutating func position(_ name: String, _ value: Position?) {
        guard let value else { return raw(name, "null") }
        var p = JSONWriter()
        p.double("lat", value.lat)
        p.double("lon", value.lon)
        raw(name, p.finish())
    }

    public func finish() -> String { text + "}" }

    public static func array(_ values: [String]) -> String {
        var out = "["
        // Quotes and commas; what is escaped (rare) may grow it once more.
        out.reserveCapacity(values.reduce(2) { $0 + $1.utf8.count + 3 })
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            appendQuoted(v, to: &out)
        }
        return out + "]"
    }

    public static func object(_ values: [String: String]) -> String {
        var out = "{"
        for (i, k) in values.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            appendQuoted(k, to: &out)
            out += ":"
            appendQuoted(values[k]!, to: &out)
        }
        return out + "}"
    }

    public static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        // Ids, names and zones rarely hold anything to escape: then the
        // string goes in whole instead of scalar by scalar. The bytes that
        // are escaped are all ASCII, never part of a longer UTF-8 sequence,
        // so testing bytes finds exactly the strings the loop would change.
        guard needsEscaping(s) else {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Whether `s` holds a quote, a backslash or a control character below 0x20.
    static func needsEscaping(_ s: String) -> Bool {
        func special(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }
        return s.utf8.withContiguousStorageIfAvailable { $0.contains(where: special) }
            ?? s.utf8.contains(where: special)
    }
}
