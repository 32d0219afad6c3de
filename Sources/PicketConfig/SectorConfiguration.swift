/// The configuration of `picket sector` (PRODUCT.md section 7a), checked
/// but with no file opened yet: secret files are read when the service
/// starts, so the loader stays free of I/O beyond the YAML itself.
public struct SectorConfiguration: Sendable, Equatable {
    /// Where the sector keeps its alerts and boxes.
    public enum Database: Sendable, Equatable {
        /// `database: {path: FILE}`: one SQLite file (the default).
        case sqlite(path: String)
        /// `database: {url: postgres://...}`: a PostgreSQL server several
        /// `picket sector` processes may share.
        case postgres(url: String)
    }

    /// One `boxes` entry: a box allowed to post, and the file holding the
    /// secret it signs with.
    public struct Box: Sendable, Equatable {
        public var box: String
        public var secretFile: String
        /// Where `secret_file` is written, so a problem with the file names
        /// the line to fix.
        public var secretFileLine: Int?

        public init(box: String, secretFile: String, secretFileLine: Int? = nil) {
            self.box = box
            self.secretFile = secretFile
            self.secretFileLine = secretFileLine
        }
    }

    /// `hotline`: the SMS gateway both ways (PRODUCT.md 7a). The loader
    /// requires `auth_token_file` (and a top-level `public_url`) with it: the
    /// inbound webhook checks `X-Twilio-Signature` with both. Texts go out
    /// only with `credentials_file` (`user:password` for the gateway's basic
    /// auth), read when the service starts.
    public struct Hotline: Sendable, Equatable {
        public var url: String
        public var from: String
        public var credentialsFile: String?
        /// Where `credentials_file` is written, so a problem with the file
        /// names the line to fix.
        public var credentialsFileLine: Int?
        public var authTokenFile: String?
        public var contact: String?
        /// Where `auth_token_file` is written, so a problem with the file names the line to fix.
        public var authTokenFileLine: Int?

        public init(
            url: String, from: String, credentialsFile: String? = nil, credentialsFileLine: Int? = nil,
            authTokenFile: String? = nil, contact: String? = nil, authTokenFileLine: Int? = nil
        ) {
            self.url = url
            self.from = from
            self.credentialsFile = credentialsFile
            self.credentialsFileLine = credentialsFileLine
            self.authTokenFile = authTokenFile
            self.contact = contact
            self.authTokenFileLine = authTokenFileLine
        }
    }

    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080
    public static let defaultOfflineAfterS = 900
    public static let defaultDatabasePath = "/var/lib/picket/sector.db"

    /// The file the configuration was read from (for messages).
    public var file: String
    public var sector: String
    /// `listen`: host (an IPv4 or IPv6 address or a name) and port; port 0
    /// lets the kernel choose (tests).
    public var host: String
    public var port: Int
    public var database: Database
    /// Line of `database.path` or `database.url`, for "not supported in this build".
    public var databaseLine: Int?
    public var boxes: [Box]
    public var operatorsFile: String?
    public var offlineAfterS: Int
    public var publicURL: String?
    public var hotline: Hotline?
    /// `timezone`: the IANA name of the landowners' clock (quiet hours, the
    /// times in texts), as the box's `timezone`; default UTC.
    public var timeZone: String

    public init(
        file: String = "(configuration)", sector: String, host: String = Self.defaultHost,
        port: Int = Self.defaultPort, database: Database = .sqlite(path: Self.defaultDatabasePath),
        databaseLine: Int? = nil, boxes: [Box] = [], operatorsFile: String? = nil,
        offlineAfterS: Int = Self.defaultOfflineAfterS, publicURL: String? = nil, hotline: Hotline? = nil,
        timeZone: String = "UTC"
    ) {
        self.file = file
        self.sector = sector
        self.host = host
        self.port = port
        self.database = database
        self.databaseLine = databaseLine
        self.boxes = boxes
        self.operatorsFile = operatorsFile
        self.offlineAfterS = offlineAfterS
        self.publicURL = publicURL
        self.hotline = hotline
        self.timeZone = timeZone
    }
}
