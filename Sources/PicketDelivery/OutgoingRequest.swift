import Foundation
import PicketCore

/// One HTTP request to make for a delivery, before it meets the network:
/// built and tested without a socket.
public struct OutgoingRequest: Sendable, Equatable {
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public static func == (a: OutgoingRequest, b: OutgoingRequest) -> Bool {
        a.url == b.url && a.body == b.body
            && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
    }

    /// An alert for the sector endpoint, signed at `timestamp` (Unix seconds).
    public static func sector(
        _ alert: Alert, forward: ForwardConfig, secret: [UInt8], timestamp: Int64, body: [UInt8]
    ) -> OutgoingRequest {
        signed(
            url: forward.url, id: alert.id,
            contentType: forward.format == .cap ? "application/cap+xml; charset=utf-8" : "application/json",
            box: alert.box, secret: secret, timestamp: timestamp, body: body)
    }

    /// A message for the sector (an alert, a status), signed at `timestamp`
    /// (Unix seconds) under the shared secret, with the headers of PRODUCT.md
    /// section 6: the idempotency key, the box (so the receiver knows whose
    /// key to check), the timestamp and the signature.
    public static func signed(
        url: String, id: String, contentType: String, box: String, secret: [UInt8], timestamp: Int64, body: [UInt8]
    ) -> OutgoingRequest {
        OutgoingRequest(
            url: url,
            headers: [
                ("Content-Type", contentType),
                ("Idempotency-Key", id),
                ("X-Picket-Box", box),
                ("X-Picket-Timestamp", String(timestamp)),
                ("X-Picket-Signature", Signature.header(secret: secret, timestamp: timestamp, body: body)),
            ],
            body: body)
    }

    /// A text through the SMS gateway: the common Messages API form, with
    /// HTTP basic auth. The delivery's id goes along as `Idempotency-Key`,
    /// for gateways that honour it.
    public static func text(
        id: String, to phone: String, body: String, hotline: HotlineConfig, user: String, password: String
    ) -> OutgoingRequest {
        let form = [("To", phone), ("From", hotline.from), ("Body", body)]
            .map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        return OutgoingRequest(
            url: hotline.url,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", "Basic \(auth)"),
                ("Idempotency-Key", id),
            ],
            body: Array(form.utf8))
    }

    /// application/x-www-form-urlencoded: unreserved bytes as they are,
    /// space as `+`, everything else (the `+` of an E.164 number included)
    /// percent-encoded.
    public static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (byte < 16 ? "0" + hex : hex)
            }
        }
        return out
    }
}
