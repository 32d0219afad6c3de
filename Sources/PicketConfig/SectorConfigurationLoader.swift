import Foundation
import PicketCore
import Yams

/// Reads `picket sector`'s YAML with the box's reader, so its problems read
/// the same way: `file:line: key: message`, every problem at once.
public enum SectorConfigurationLoader {
    static let topLevelKeys = [
        "sector", "listen", "database", "boxes", "operators_file", "offline_after_s", "public_url", "hotline",
        "timezone",
    ]
    static let boxKeys = ["box", "secret_file"]
    static let hotlineKeys = ["url", "from", "credentials_file", "auth_token_file", "contact"]
    /// A week: a box silent for longer is long gone, not "quiet".
    static let maximumOfflineAfterS = 604_800

    /// Reads and checks the file at `path`: `missingFile` (sysexits 66) when
    /// it cannot be read, `invalid` (78) with every problem when it is wrong.
    public static func load(path: String) throws(ConfigLoadError) -> SectorConfiguration {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .missingFile(path: path, reason: "is a directory, not a file") }
        guard files.isReadableFile(atPath: path), let data = files.contents(atPath: path) else {
            throw .missingFile(path: path, reason: "permission denied")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let (line, column) = ConfigLoader.firstInvalidUTF8(in: Array(data))
            throw .invalid(
                ConfigError(problems: [
                    ConfigProblem(
                        file: path, line: line, column: column, key: ConfigPath.document.description,
                        message: "is not UTF-8 text (the first byte that is not is at column \(column))")
                ]))
        }
        do throws(ConfigError) { return try parse(yaml: text, file: path) } catch { throw .invalid(error) }
    }

    /// Checks YAML text; `file` labels the problems.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> SectorConfiguration {
        let reader = ConfigReader(file: file)
        guard let root = DocumentComposer.compose(yaml, reader: reader) else {
            if reader.problems.isEmpty {
                reader.report(.document, line: 1, column: nil, "is empty; a sector configuration needs at least sector")
            }
            throw ConfigError(problems: reader.sortedProblems)
        }
        let configuration = build(Field(path: .document, node: root), file: file, reader: reader)
        guard let configuration, reader.problems.isEmpty else {
            if reader.problems.isEmpty {
                reader.report(.document, line: nil, column: nil, "could not be read as a sector configuration")
            }
            throw ConfigError(problems: reader.sortedProblems)
        }
        return configuration
    }

    private static func build(_ document: Field, file: String, reader: ConfigReader) -> SectorConfiguration? {
        if document.isNull {
            reader.report(.document, line: 1, column: nil, "is empty; a sector configuration needs at least sector")
            return nil
        }
        guard
            let map = reader.mapping(
                document, "must be a mapping of keys such as sector, listen, database, boxes",
                allowed: topLevelKeys)
        else { return nil }
        let urls = ConfigurationBuilder(reader: reader)
        let sector = map.required("sector", example: "north-ridge").flatMap {
            reader.identifier($0, "must use only letters, digits, '.', '_' and '-', e.g. north-ridge")
        }
        var host = SectorConfiguration.defaultHost
        var port = SectorConfiguration.defaultPort
        if let field = map.optional("listen"), let listen = self.listen(field, reader: reader) {
            (host, port) = listen
        }
        var database = SectorConfiguration.Database.sqlite(path: SectorConfiguration.defaultDatabasePath)
        var databaseLine: Int?
        if let field = map.optional("database"), let (value, line) = self.database(field, reader: reader) {
            database = value
            databaseLine = line
        }
        var boxes: [SectorConfiguration.Box] = []
        if let field = map.optional("boxes"),
            let list = reader.list(field, "must be a list of {box, secret_file}")
        {
            var owners: [String: Int?] = [:]
            for entry in list {
                guard let box = self.box(entry, reader: reader) else { continue }
                if let first = owners[box.box] {
                    let line = first.map { " (first on line \($0))" } ?? ""
                    reader.report(entry, "box \(box.box) is listed twice\(line); keep one entry per box")
                    continue
                }
                owners[box.box] = entry.node.mark?.line
                boxes.append(box)
            }
        }
        let operatorsFile = map.optional("operators_file").flatMap { reader.text($0) }
        let offlineAfter =
            map.optional("offline_after_s").flatMap {
                reader.wholeNumber(
                    $0, minimum: 1, maximum: maximumOfflineAfterS,
                    "must be a whole number of seconds from 1 to \(maximumOfflineAfterS), e.g. 900")
            } ?? SectorConfiguration.defaultOfflineAfterS
        let publicURL = map.optional("public_url").flatMap(urls.httpURL)
        let hotline = map.optional("hotline").flatMap { self.hotline($0, reader: reader, urls: urls) }
        if let field = map.optional("hotline"), !map.contains("public_url") {
            reader.report(
                field,
                "needs public_url at the top level too (how the SMS gateway reaches this service, e.g. "
                    + "public_url: https://sector.example.org): the webhook's X-Twilio-Signature covers that URL")
        }
        let timeZone = map.optional("timezone").flatMap(urls.timeZone) ?? "UTC"
        guard let sector else { return nil }
        return SectorConfiguration(
            file: file, sector: sector, host: host, port: port, database: database, databaseLine: databaseLine,
            boxes: boxes, operatorsFile: operatorsFile, offlineAfterS: offlineAfter, publicURL: publicURL,
            hotline: hotline, timeZone: timeZone)
    }

    static let listenExpectation =
        "must be host:port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080 (port 0 to 65535)"

    /// `host:port`, an IPv6 host in brackets.
    static func listen(_ field: Field, reader: ConfigReader) -> (String, Int)? {
        guard let text = reader.text(field, listenExpectation) else { return nil }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                reader.report(field, listenExpectation)
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                reader.report(field, listenExpectation)
                return nil
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ ("0"..."9").contains($0) }),
            let port = Int(portText), (0...65535).contains(port),
            host.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.value > 0x20 })
        else {
            reader.report(field, listenExpectation)
            return nil
        }
        return (String(host), port)
    }

    /// The database and the line of its `path` or `url`.
    static func database(_ field: Field, reader: ConfigReader) -> (SectorConfiguration.Database, Int?)? {
        guard
            let map = reader.mapping(
                field, "must be {path: /var/lib/picket/sector.db} or {url: postgres://user@host/db}",
                allowed: ["path", "url"])
        else { return nil }
        let path = map.optional("path").flatMap { reader.text($0) }
        let url = map.optional("url").flatMap { reader.text($0) }
        switch (path, url) {
        case (let path?, nil): return (.sqlite(path: path), map.optional("path")?.node.mark?.line)
        case (nil, let url?):
            do {
                _ = try PostgresURL.parse(url)
            } catch {
                reader.report(map.optional("url")!, error.message)
                return nil
            }
            return (.postgres(url: url), map.optional("url")?.node.mark?.line)
        case (.some, .some):
            reader.report(field, "give either path (SQLite) or url (PostgreSQL), not both")
            return nil
        case (nil, nil):
            if !map.contains("path") && !map.contains("url") {
                reader.report(field, "needs path (SQLite, e.g. /var/lib/picket/sector.db) or url (PostgreSQL)")
            }
            return nil
        }
    }

    static func box(_ field: Field, reader: ConfigReader) -> SectorConfiguration.Box? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {box: ridge-01, secret_file: /etc/picket/boxes/ridge-01.key}",
                allowed: boxKeys)
        else { return nil }
        let box = map.required("box", example: "ridge-01").flatMap {
            reader.identifier($0, "must use only letters, digits, '.', '_' and '-', as the box's own box: key")
        }
        let secretField = map.required("secret_file", example: "/etc/picket/boxes/ridge-01.key")
        let secretFile = secretField.flatMap { reader.text($0) }
        guard let box, let secretFile else { return nil }
        return SectorConfiguration.Box(box: box, secretFile: secretFile, secretFileLine: secretField?.node.mark?.line)
    }

    static func hotline(_ field: Field, reader: ConfigReader, urls: ConfigurationBuilder)
        -> SectorConfiguration.Hotline?
    {
        guard
            let map = reader.mapping(
                field,
                "must be a mapping such as {url: https://sms-gateway.example/Messages, from: \"+18025550199\", credentials_file: /etc/picket/hotline.cred}",
                allowed: hotlineKeys)
        else { return nil }
        let url = map.required("url", example: "https://sms-gateway.example/Messages").flatMap(urls.httpURL)
        let from = map.required("from", example: "\"+18025550199\"").flatMap(urls.phone)
        let credentialsField = map.optional("credentials_file")
        let credentialsFile = credentialsField.flatMap { reader.text($0) }
        // Required: without it no incoming text could be told from a forgery.
        let authTokenField = map.required("auth_token_file", example: "/etc/picket/hotline.token")
        let authTokenFile = authTokenField.flatMap { reader.text($0) }
        let contact = map.optional("contact").flatMap(urls.phone)
        guard let url, let from else { return nil }
        return SectorConfiguration.Hotline(
            url: url, from: from, credentialsFile: credentialsFile,
            credentialsFileLine: credentialsField?.node.mark?.line, authTokenFile: authTokenFile, contact: contact,
            authTokenFileLine: authTokenField?.node.mark?.line)
    }
}
