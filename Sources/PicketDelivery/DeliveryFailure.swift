import AsyncHTTPClient
import NIOCore
import NIOSSL

/// What a failed attempt (no response) says in the outbox and the log: the
/// cause in a technician's words and the setting that fixes it, never a
/// library's type dump or a path on the machine that built the binary
/// (BoringSSL's errors carry `at /home/build/.../handshake.cc:393`).
enum DeliveryFailure {
    /// `error` in words; `caFileKey` names the setting that trusts the
    /// endpoint's CA (`forward.ca_file`, `hotline.ca_file`), `caFile` its
    /// value when set.
    static func describe(_ error: any Error, caFileKey: String, caFile: String? = nil) -> String {
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .handshakeFailed(let reason):
                let text = "\(reason)"
                if Self.untrustedMarkers.contains(where: text.contains) {
                    guard let caFile else { return "certificate not trusted (set \(caFileKey))" }
                    return
                        "certificate not trusted by \(caFileKey) \(caFile) (is it the CA that signed the endpoint's?)"
                }
                return "TLS handshake failed: \(withoutPaths(text))"
            case .uncleanShutdown:
                return "the connection was cut during TLS"
            default:
                return "TLS failed: \(withoutPaths("\(ssl)"))"
            }
        }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "certificate is for another host than the URL's (check the URL, or the certificate's names)"
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "no connection within the connect timeout"
            case .readTimeout: return "no answer within the read timeout"
            case .deadlineExceeded: return "no complete answer within the request timeout"
            case .remoteConnectionClosed: return "the endpoint closed the connection before it answered"
            case .cancelled: return "the request was cancelled"
            default: return withoutPaths("\(client)")
            }
        }
        if let io = error as? IOError {
            return withoutPaths(io.description)
        }
        return withoutPaths("\(error)")
    }

    /// BoringSSL's reasons for a chain it cannot verify against the roots
    /// it was given.
    static let untrustedMarkers = [
        "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "unable to get local issuer certificate",
        "self signed certificate", "self-signed certificate",
    ]

    /// Drops ` at /any/path:123` (where in its source a library raised the
    /// error) from a description.
    static func withoutPaths(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let range = rest.range(of: " at /") {
            out += rest[..<range.lowerBound]
            // Skip the path up to the end of the `:line`, or of the word.
            var cut = range.upperBound
            while cut < rest.endIndex, !rest[cut].isWhitespace, rest[cut] != ")", rest[cut] != "]", rest[cut] != "," {
                cut = rest.index(after: cut)
            }
            rest = rest[cut...]
        }
        return out + rest
    }
}
