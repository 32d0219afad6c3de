/// Base64 as RFC 4648 section 4 writes it and nothing else: the standard
/// alphabet, padded to a multiple of four characters, no spaces, and no set
/// bits in the padding. Foundation's decoder accepts more (`"a==="`), so a
/// damaged recording would replay bytes nobody recorded.
enum StrictBase64 {
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var index = 0
        while index < chars.count {
            let last = index + 4 == chars.count
            var values: [UInt32] = []
            var padding = 0
            for k in 0..<4 {
                let c = chars[index + k]
                if c == UInt8(ascii: "=") {
                    // Only the last group's last one or two characters.
                    guard last, k >= 2 else { return nil }
                    padding += 1
                    continue
                }
                guard padding == 0, let v = value(c) else { return nil }
                values.append(v)
            }
            var group: UInt32 = 0
            for v in values { group = group << 6 | v }
            group <<= UInt32(6 * padding)
            let bytes = [UInt8(group >> 16 & 0xFF), UInt8(group >> 8 & 0xFF), UInt8(group & 0xFF)]
            let kept = 3 - padding
            // The padding's bits must be zero (a canonical encoding).
            guard bytes[kept...].allSatisfy({ $0 == 0 }) else { return nil }
            out.append(contentsOf: bytes[..<kept])
            index += 4
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
