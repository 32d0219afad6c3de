import Crypto

/// Deterministic identifiers for events and alerts.
///
/// Ids are derived from what an event *is* (box, sensor, time, state, and an
/// ordinal among events of that sensor at the same instant), never from a
/// counter or the clock of the machine that computes them: a replay of the
/// same recording with the same configuration yields the same ids, and a
/// sector endpoint that receives an alert twice sees the same
/// `Idempotency-Key`. Formatted in the RFC 9562 version 7 layout so
/// receivers that expect UUID-shaped keys accept them: the first 48 bits are
/// the Unix time in milliseconds of the event (of an alert's first event, of a
/// report), the rest are SHA-256 of the parts, where version 7 has random
/// bits. Ids that begin with their time keep the databases' id indexes
/// append-mostly: a replay or a year of events inserts at the index's end
/// instead of at random pages (a 480 h replay: 8.4 -> 5.6 s, and its cost per
/// input no longer grows with the database). Ids made before this layout
/// (version 8, hash only) stay as stored.
public enum Identifier {
    public static func event(
        box: String, sensor: String, source: EventSource, state: EventState, ts: Int64, ordinal: Int
    )
        -> String
    {
        var message = Message()
        return message.id(ts: ts) { message in
            message.append("event")
            message.append(box)
            message.append(sensor)
            message.append(source.rawValue)
            message.append(state.rawValue)
            message.append(decimal: ts)
            message.append(decimal: Int64(ordinal))
        }
    }

    public static func alert(box: String, rule: String, zone: String?, events: [String], ts: Int64) -> String {
        var message = Message()
        return message.id(ts: ts) { message in
            message.append("alert")
            message.append(box)
            message.append(rule)
            message.append(zone ?? "")
            for event in events { message.append(event) }
        }
    }

    /// A hotline report (`picket report`): what the operator entered and
    /// when, so the same report stored twice (a retried command) is one
    /// event, while two sightings phoned in for the same zone are two.
    public static func report(box: String, zone: String, detectionClass: String?, note: String?, ts: Int64)
        -> String
    {
        uuid(["report", box, zone, detectionClass ?? "", note ?? "", String(ts)], ts: ts)
    }

    /// A text to a landowner: the subscriber and the alerts it covers, so a
    /// text planned twice (a crash between planning and committing) is one row.
    public static func text(subscriber: String, alerts: [String]) -> String {
        uuid(["text", subscriber] + alerts)
    }

    /// SHA-256 over the length-prefixed parts, truncated to 128 bits; with
    /// `ts` (UTC nanoseconds, clamped at 1970) its milliseconds replace the
    /// first 48 bits and the version is 7, else 8 (a text's id has no time).
    static func uuid(_ parts: [String], ts: Int64? = nil) -> String {
        var message = Message()
        return message.id(ts: ts) { message in
            for part in parts { message.append(part) }
        }
    }

    /// The hashed message: each part as its UTF-8 length (32 bits, little
    /// endian) and its bytes. Events and alerts get ids on the replay's hot
    /// path, so the parts are written into one stack buffer and hashed in
    /// one call, with no array of parts, no copy of a string's bytes into an
    /// array and no number formatted as a String; a message longer than the
    /// buffer goes to the hasher in pieces (the same digest).
    struct Message {
        /// Bytes of a buffer's worth handed to the hasher so far, if any.
        private var hasher: SHA256?
        private var buffer: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
        private var used = 0

        static let capacity = 512

        /// Builds the message with `body` and returns its id.
        mutating func id(ts: Int64?, _ body: (inout Message) -> Void) -> String {
            withUnsafeTemporaryAllocation(byteCount: Self.capacity, alignment: 8) { storage in
                buffer = storage
                body(&self)
                var hasher = hasher ?? SHA256()
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: storage[0..<used]))
                let digest = hasher.finalize()
                buffer = .init(start: nil, count: 0)
                return digest.withUnsafeBytes {
                    Identifier.format(UnsafeRawBufferPointer(rebasing: $0[0..<16]), ts: ts)
                }
            }
        }

        mutating func append(_ part: String) {
            var length = UInt32(truncatingIfNeeded: part.utf8.count).littleEndian
            withUnsafeBytes(of: &length) { write($0) }
            if part.utf8.withContiguousStorageIfAvailable({ write(UnsafeRawBufferPointer($0)) }) == nil {
                var part = part
                part.withUTF8 { write(UnsafeRawBufferPointer($0)) }
            }
        }

        /// The part `String(value)` would be, without making the String.
        mutating func append(decimal value: Int64) {
            withUnsafeTemporaryAllocation(byteCount: 24, alignment: 1) { digits in
                var index = digits.count
                var magnitude = value.magnitude
                repeat {
                    index -= 1
                    digits[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                    magnitude /= 10
                } while magnitude > 0
                if value < 0 {
                    index -= 1
                    digits[index] = 0x2D
                }
                append(bytes: UnsafeRawBufferPointer(rebasing: digits[index...]))
            }
        }

        private mutating func append(bytes: UnsafeRawBufferPointer) {
            var length = UInt32(truncatingIfNeeded: bytes.count).littleEndian
            withUnsafeBytes(of: &length) { write($0) }
            write(bytes)
        }

        private mutating func write(_ bytes: UnsafeRawBufferPointer) {
            guard !bytes.isEmpty else { return }
            if used + bytes.count > buffer.count {
                flush()
                if bytes.count > buffer.count {
                    hasher!.update(bufferPointer: bytes)
                    return
                }
            }
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + bytes.count)]).copyMemory(from: bytes)
            used += bytes.count
        }

        private mutating func flush() {
            if hasher == nil { hasher = SHA256() }
            hasher!.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
            used = 0
        }
    }

    /// The 36 characters of a UUID from the first 16 digest bytes, with the
    /// time and version (7 with `ts`, else 8) and the RFC 9562 variant set.
    static func format(_ digest: UnsafeRawBufferPointer, ts: Int64?) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            let hex: StaticString = "0123456789abcdef"
            let ms = ts.map { UInt64(clamping: max(0, $0 / 1_000_000)) }
            var position = 0
            for i in 0..<16 {
                var byte = digest[i]
                if let ms, i < 6 { byte = UInt8(truncatingIfNeeded: ms >> (40 - 8 * i)) }
                if i == 6 { byte = (byte & 0x0F) | (ms == nil ? 0x80 : 0x70) }
                if i == 8 { byte = (byte & 0x3F) | 0x80 }
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[position] = 0x2D
                    position += 1
                }
                out[position] = hex.utf8Start[Int(byte >> 4)]
                out[position + 1] = hex.utf8Start[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }
}
