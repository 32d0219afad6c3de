import Crypto

/// `X-Picket-Signature` (PRODUCT.md section 6): HMAC-SHA256 under the shared
/// secret of `"<timestamp>.<body>"`, in lowercase hex, as `v1=<hex>`. The
/// timestamp is signed too, so a receiver that rejects old timestamps is
/// safe from replays.
public enum Signature {
    public static func header(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        return "v1="
            + code.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
    }
}
