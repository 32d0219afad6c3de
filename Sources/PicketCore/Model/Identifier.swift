import Crypto

/// Deterministic identifiers for events and alerts.
///
/// Ids are derived from what an event *is* (box, sensor, time, state, and an
/// ordinal among events of that sensor at the same instant), never from a
/// counter or the clock of the machine that computes them: a replay of the
/// same recording with the same configuration yields the same ids, and a
/// sector endpoint that receives an alert twice sees the same
/// `Idempotency-Key`. Formatted as an RFC 9562 version 8 (custom) UUID so
/// receivers that expect UUID-shaped keys accept them.
public enum Identifier {
    public static func event(
        box: String, sensor: String, source: EventSource, state: EventState, ts: Int64, ordinal: Int
    )
        -> String
    {
        uuid(["event", box, sensor, source.rawValue, state.rawValue, String(ts), String(ordinal)])
    }

    public static func alert(box: String, rule: String, zone: String?, events: [String]) -> String {
        uuid(["alert", box, rule, zone ?? ""] + events)
    }

    /// A hotline report (`picket report`): what the operator entered and
    /// when, so the same report stored twice (a retried command) is one
    /// event, while two sightings phoned in for the same zone are two.
    public static func report(box: String, zone: String, detectionClass: String?, note: String?, ts: Int64)
        -> String
    {
        uuid(["report", box, zone, detectionClass ?? "", note ?? "", String(ts)])
    }

    /// A text to a landowner: the subscriber and the alerts it covers, so a
    /// text planned twice (a crash between planning and committing) is one row.
    public static func text(subscriber: String, alerts: [String]) -> String {
        uuid(["text", subscriber] + alerts)
    }

    /// SHA-256 over the length-prefixed parts, truncated to 128 bits.
    static func uuid(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            var length = UInt32(part.utf8.count).littleEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: Array(part.utf8))
        }
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(45) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
