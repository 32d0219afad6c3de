import Crypto
import Foundation
import PicketConfig
import PicketDelivery

/// What `POST /v1/sms/inbound` checks a request with: the gateway's auth
/// token (`hotline.auth_token_file`, read at start like a box's secret) and
/// the webhook's public URL (`public_url` + `/v1/sms/inbound`).
///
/// `X-Twilio-Signature` is base64 of HMAC-SHA1, under the auth token, of the
/// full webhook URL (with the request's query, if any) followed by each form
/// field's name and value, sorted by name (PRODUCT.md 7a).
public struct HotlineWebhook: Sendable {
    public static let path = "/v1/sms/inbound"
    /// A gateway's form is a few hundred bytes; a long text is at most 1600 characters.
    public static let maximumBodyBytes = 64 << 10

    let authToken: [UInt8]
    /// The URL the gateway posts to, as it signs it (without the query).
    public let url: String
    public let sector: String
    public let contact: String?

    public init(authToken: [UInt8], publicURL: String, sector: String, contact: String? = nil) {
        self.authToken = authToken
        self.url = Self.webhookURL(publicURL: publicURL)
        self.sector = sector
        self.contact = contact
    }

    /// The webhook of `configuration`'s `hotline`, its auth token read from
    /// `auth_token_file` (`Secrets.read`, as `BoxKeys` reads box secrets);
    /// nil when there is no `hotline`. The loader has made sure that
    /// `auth_token_file` and `public_url` are set when `hotline` is.
    public init?(configuration: SectorConfiguration, credentialSources: String = Secrets.credentialSources)
        throws(BoxKeys.LoadError)
    {
        guard let hotline = configuration.hotline else { return nil }
        let key = "hotline.auth_token_file"
        guard let file = hotline.authTokenFile, let publicURL = configuration.publicURL else {
            throw BoxKeys.LoadError(
                file: configuration.file, line: hotline.authTokenFileLine, key: key,
                problem: "the hotline needs auth_token_file and public_url to check incoming texts")
        }
        let token = try BoxKeys.LoadError.reading(
            configuration, key: key, line: hotline.authTokenFileLine,
            holds: "the SMS gateway's auth token, which signs incoming texts"
        ) { () throws(SecretFileError) in
            try Secrets.read(file, key: key, credentialSources: credentialSources)
        }
        self.init(authToken: token, publicURL: publicURL, sector: configuration.sector, contact: hotline.contact)
    }

    /// `public_url` with the webhook's path: `https://s.example` and
    /// `https://s.example/` both give `https://s.example/v1/sms/inbound`;
    /// a path prefix (`https://s.example/picket/`) is kept before it.
    public static func webhookURL(publicURL: String) -> String {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }

    /// The signature the gateway sends for `fields` posted to `url` (with its query).
    public static func signature(token: [UInt8], url: String, fields: [(String, String)]) -> String {
        Data(code(token: token, url: url, fields: fields)).base64EncodedString()
    }

    static func signedBytes(url: String, fields: [(String, String)]) -> [UInt8] {
        // Sorted by name (byte order), then value, so a repeated name signs the same whatever the body's order.
        let sorted = fields.sorted {
            $0.0 != $1.0
                ? $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) : $0.1.utf8.lexicographicallyPrecedes($1.1.utf8)
        }
        var message = Array(url.utf8)
        for (name, value) in sorted {
            message += name.utf8
            message += value.utf8
        }
        return message
    }

    static func code(token: [UInt8], url: String, fields: [(String, String)]) -> [UInt8] {
        Array(
            HMAC<Insecure.SHA1>.authenticationCode(
                for: signedBytes(url: url, fields: fields), using: SymmetricKey(data: token)))
    }

    /// Whether `header` is the signature of `fields` posted to this webhook
    /// with `query` (the request's, as sent), compared in constant time.
    public func verify(query: String?, fields: [(String, String)], header: String?) -> Bool {
        guard let header, let code = Data(base64Encoded: header.trimmingCharacters(in: .whitespaces)),
            code.count == Insecure.SHA1.byteCount
        else { return false }
        let signed = url + (query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
        return HMAC<Insecure.SHA1>.isValidAuthenticationCode(
            code, authenticating: Self.signedBytes(url: signed, fields: fields), using: SymmetricKey(data: authToken))
    }

    /// Every field of an `application/x-www-form-urlencoded` body, in order,
    /// repeated names included (`+` is a space; a bad `%` escape is kept as written).
    public static func formPairs(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
