import PicketCore

extension ConfigurationBuilder {
    static let storageKeys = ["path", "retain_days", "max_mb"]
    /// A petabyte: far beyond any box, and its bytes still fit in Int64.
    static let maximumStorageMB = 1_000_000_000

    /// `storage: {path, retain_days, max_mb}`: where the database is, and
    /// how long and how large it may grow.
    func storage(_ field: Field) -> (path: String?, retention: RetentionSettings)? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {path: /var/lib/picket/picket.db}", allowed: Self.storageKeys)
        else { return nil }
        let path = map.optional("path").flatMap(databasePath)
        let retainDays =
            map.optional("retain_days").flatMap {
                reader.wholeNumber(
                    $0, minimum: 1, maximum: RetentionSettings.maximumRetainDays, "must be a whole number of days >= 1")
            } ?? RetentionSettings.defaultRetainDays
        let maxMB = map.optional("max_mb").flatMap {
            reader.wholeNumber(
                $0, minimum: 1, maximum: Self.maximumStorageMB, "must be a whole number of megabytes >= 1")
        }
        return (path, RetentionSettings(retainDays: retainDays, maxMB: maxMB))
    }

    /// `storage.path` must name a database file: SQLite would keep
    /// `:memory:` (and a blank name) nowhere, everything "stored" gone at
    /// exit, and read `file:` as a URI whose options change how it opens.
    private func databasePath(_ field: Field) -> String? {
        guard let path = reader.text(field) else { return nil }
        if path == ":memory:" || path.allSatisfy(\.isWhitespace) {
            reader.report(
                field,
                "'\(path)' would keep the database nowhere (SQLite holds it in memory or a temporary file, gone "
                    + "at exit); name a database file, e.g. /var/lib/picket/picket.db")
            return nil
        }
        if path.lowercased().hasPrefix("file:") {
            reader.report(
                field,
                "'\(path)' is an SQLite URI, not a file path; name the database file itself, e.g. "
                    + "/var/lib/picket/picket.db")
            return nil
        }
        return path
    }
}
