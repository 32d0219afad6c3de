import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Log lines for journald: `<N>` syslog priority prefix (which journald
/// turns into the entry's priority), the message, then `key=value`
/// metadata, one entry per line. swift-log ships only a plain stream
/// handler, and the journal needs the prefix; so this small one.
struct JournalLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable (String) -> Void

    init(level: Logger.Level, write: @escaping @Sendable (String) -> Void = JournalLogHandler.standardError) {
        logLevel = level
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        write(Self.line(level: event.level, message: "\(event.message)", metadata: all))
    }

    /// `<4>serial port lost, reopening port=/dev/ttyUSB0 reason="...: hung up"`
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(priority(level))>" + oneLine(message)
        for key in metadata.keys.sorted() {
            line += " \(key)=" + quoted(oneLine("\(metadata[key]!)"))
        }
        return line + "\n"
    }

    /// Control characters escaped (`\\n`, `\\u{7}`): one entry, one line.
    private static func oneLine(_ text: String) -> String { LogText.escaped(text) }

    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }

    @Sendable static func standardError(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Whether stderr goes to the journal, or `PICKET_LOG_FORMAT=journal`
    /// asks for it. systemd sets `JOURNAL_STREAM` to the `device:inode` of
    /// the stream it connects to the journal; a child started from that
    /// service (a shell, `picket events 2>file`) inherits the variable with
    /// another stderr, so only a matching stderr counts (systemd.exec(5)).
    static func wanted(_ environment: [String: String], standardError: String? = standardErrorIdentity()) -> Bool {
        if let format = environment["PICKET_LOG_FORMAT"] { return format == "journal" }
        guard let stream = environment["JOURNAL_STREAM"], let standardError else { return false }
        return stream == standardError
    }

    /// `device:inode` of this process's standard error, as `JOURNAL_STREAM` writes it.
    static func standardErrorIdentity() -> String? {
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return nil }
        return "\(status.st_dev):\(status.st_ino)"
    }
}
