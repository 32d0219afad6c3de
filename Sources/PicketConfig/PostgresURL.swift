/// A `database: {url: ...}` of `picket sector`, read: what the PostgreSQL
/// store connects to. The subset of libpq's URL form Picket supports:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]
///     postgresql://USER@/DATABASE?host=/run/postgresql      (Unix socket folder)
///
/// `USER` is required; `PORT` defaults to 5432; `DATABASE` to the user's
/// name; user, password and database may be percent-encoded. `HOST` may be
/// a name, an IPv4 address or `[IPv6]`. Parameters: `port=N`, `host=/socket/folder`
/// (a folder, as libpq's: the socket is `FOLDER/.s.PGSQL.PORT`), `sslmode`
/// as libpq's: `disable`, `prefer` (the default: TLS when the server offers
/// it), `require` (TLS or no connection), both without checking the
/// server's certificate, as libpq does without a root certificate (so
/// Debian's default cluster, TLS with a self-signed "snakeoil" certificate,
/// works); `verify-ca` (the certificate must chain to a trusted root) and
/// `verify-full` (and name the host); `sslrootcert=FILE` (PEM) trusts the
/// certificates in FILE instead of the system's roots and, with `require`,
/// checks the chain as `verify-ca` does (libpq's rule). Anything else
/// (several hosts, other parameters) is refused by name.
public struct PostgresURL: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket file itself (`FOLDER/.s.PGSQL.PORT`).
        case unixSocket(path: String)
    }

    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable
        case prefer
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// How the server's certificate is checked once TLS is on.
    public enum CertificateCheck: Sendable, Equatable {
        /// Encrypted, but any certificate is taken (libpq's `prefer`, `require`).
        case none
        /// It must chain to a trusted root (`verify-ca`).
        case chain
        /// It must chain to a trusted root and name the host (`verify-full`).
        case chainAndHost
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert`: PEM certificates trusted instead of the system's roots.
    public var sslRootCert: String?

    public static let defaultPort = 5432

    /// The check `sslMode` and `sslRootCert` make, as libpq's.
    public var certificateCheck: CertificateCheck {
        switch sslMode {
        case .disable, .prefer: .none
        case .require: sslRootCert == nil ? .none : .chain
        case .verifyCA: .chain
        case .verifyFull: .chainAndHost
        }
    }

    /// Why a URL cannot be used; `message` completes "database.url: ".
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(
        endpoint: Endpoint, user: String, password: String?, database: String, sslMode: SSLMode,
        sslRootCert: String? = nil
    ) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
    }

    /// The URL with its password (if any) replaced by `***`: for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else {
            return url
        }
        let userinfo = url[scheme.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    public static func parse(_ url: String) throws(Problem) -> PostgresURL {
        let example = "e.g. postgres://picket@db.example:5432/sector"
        var rest: Substring
        if url.hasPrefix("postgres://") {
            rest = url.dropFirst("postgres://".count)
        } else if url.hasPrefix("postgresql://") {
            rest = url.dropFirst("postgresql://".count)
        } else {
            throw Problem(message: "must be a postgres:// or postgresql:// URL, \(example)")
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // rest is now the authority: [user[:password]@]host[:port]
        guard let at = rest.lastIndex(of: "@") else {
            throw Problem(message: "names no user: write it before the host, \(example)")
        }
        let userinfo = rest[..<at]
        var hostport = rest[rest.index(after: at)...]
        var userPart = userinfo
        var passwordPart: Substring?
        if let colon = userinfo.firstIndex(of: ":") {
            userPart = userinfo[..<colon]
            passwordPart = userinfo[userinfo.index(after: colon)...]
        }
        guard let user = percentDecoded(userPart), !user.isEmpty else {
            throw Problem(message: "names no user (or one that is not percent-encoded right), \(example)")
        }
        let password: String?
        if let passwordPart {
            guard let decoded = percentDecoded(passwordPart) else {
                throw Problem(message: "has a password that is not percent-encoded right (%XX)")
            }
            password = decoded
        } else {
            password = nil
        }
        var host = ""
        var port = defaultPort
        if hostport.hasPrefix("[") {
            guard let close = hostport.firstIndex(of: "]") else {
                throw Problem(message: "has an IPv6 address without its closing ], e.g. postgres://picket@[::1]/sector")
            }
            host = String(hostport[hostport.index(after: hostport.startIndex)..<close])
            hostport = hostport[hostport.index(after: close)...]
            if !hostport.isEmpty {
                guard hostport.hasPrefix(":") else {
                    throw Problem(message: "has something after the IPv6 address's ]; only :PORT may follow")
                }
                port = try parsePort(hostport.dropFirst())
            }
        } else if let colon = hostport.firstIndex(of: ":") {
            host = String(hostport[..<colon])
            port = try parsePort(hostport[hostport.index(after: colon)...])
        } else {
            host = String(hostport)
        }
        if host.contains(",") {
            throw Problem(message: "names several hosts; picket connects to one (put them behind one address)")
        }
        guard let database = percentDecoded(path) else {
            throw Problem(message: "has a database name that is not percent-encoded right (%XX)")
        }
        if database.contains("/") {
            throw Problem(message: "has a path with more than the database name: \(path)")
        }
        var socketFolder: String?
        var sslMode = SSLMode.prefer
        var sslRootCert: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            guard let value = parts.count == 2 ? percentDecoded(parts[1]) : nil, !value.isEmpty else {
                throw Problem(message: "parameter \(key) has no value (write \(key)=VALUE)")
            }
            switch key {
            case "host":
                guard value.hasPrefix("/") else {
                    throw Problem(
                        message: "parameter host must be the absolute folder of the server's socket, "
                            + "e.g. ?host=/run/postgresql; put a TCP host before the /database")
                }
                socketFolder = value
            case "port":
                port = try parsePort(Substring(value))
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw Problem(
                        message: "sslmode \(value) is not supported; use disable, prefer, require, verify-ca or "
                            + "verify-full (the last two check the server's certificate)")
                }
                sslMode = mode
            case "sslrootcert":
                guard value.hasPrefix("/") else {
                    throw Problem(
                        message: "sslrootcert must be the absolute path of a PEM file, e.g. /etc/picket/db-ca.pem")
                }
                sslRootCert = value
            default:
                throw Problem(
                    message: "parameter \(key) is not supported; picket reads only host, port, sslmode and sslrootcert")
            }
        }
        let endpoint: Endpoint
        if let socketFolder {
            let folder = socketFolder.hasSuffix("/") ? String(socketFolder.dropLast()) : socketFolder
            endpoint = .unixSocket(path: "\(folder)/.s.PGSQL.\(port)")
        } else {
            guard !host.isEmpty else {
                throw Problem(
                    message: "names no host: write one after the @, or ?host=/socket/folder for a Unix socket")
            }
            endpoint = .tcp(host: host, port: port)
        }
        return PostgresURL(
            endpoint: endpoint, user: user, password: password, database: database.isEmpty ? user : database,
            sslMode: sslMode, sslRootCert: sslRootCert)
    }

    private static func parsePort(_ text: Substring) throws(Problem) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw Problem(message: "port \(text) must be a whole number from 1 to 65535")
        }
        return port
    }

    /// `%XX` decoded; nil when an escape is broken or the bytes are not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
