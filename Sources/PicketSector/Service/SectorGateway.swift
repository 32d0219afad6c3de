import PicketConfig
import PicketCore
import PicketDelivery

/// The SMS gateway the sector texts through (`hotline` with
/// `credentials_file`), its credentials read at start with the box's own
/// secret-file code, so a missing, loose or malformed file stops the
/// service before it listens (sysexits 78), naming the file and the line.
public struct SectorGateway: Sendable {
    /// `url`, `from` and `contact` as the box's `hotline` carries them, for
    /// `OutgoingRequest.text`; no subscribers (they are in the database).
    public var hotline: HotlineConfig
    public var user: String
    public var password: String

    public init(hotline: HotlineConfig, user: String, password: String) {
        self.hotline = hotline
        self.user = user
        self.password = password
    }

    /// The configured gateway; nil without `hotline` or without its
    /// `credentials_file` (no texts go out then).
    public static func load(
        _ configuration: SectorConfiguration, credentialSources: String = Secrets.credentialSources
    ) throws(BoxKeys.LoadError) -> SectorGateway? {
        guard let hotline = configuration.hotline, let file = hotline.credentialsFile else { return nil }
        let key = "hotline.credentials_file"
        let credentials = try BoxKeys.LoadError.reading(
            configuration, key: key, line: hotline.credentialsFileLine, holds: "the SMS gateway's user:password"
        ) { () throws(SecretFileError) in
            try Secrets.check(file, key: key, credentials: true, credentialSources: credentialSources)
            return try Secrets.credentials(file, key: key, credentialSources: credentialSources)
        }
        return SectorGateway(
            hotline: HotlineConfig(
                url: hotline.url, from: hotline.from, credentialsFile: file, subscribers: [],
                contact: hotline.contact),
            user: credentials.user, password: credentials.password)
    }
}
