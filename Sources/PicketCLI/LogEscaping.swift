import Logging
import PicketCore

/// What a log line may carry of a value: no control character, so a value
/// such as a name with a newline stays on its one line and cannot forge
/// another entry, and a right-to-left override cannot disguise one.
enum LogText {
    /// `\n`, `\r` and `\t` as those two characters; every other control
    /// character, the line separators and the bidi controls as `\u{XXXX}`.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: \.isControlOrBidi) else { return text }
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.isControlOrBidi: out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Every value of `metadata` as its escaped text.
    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues { .string(escaped("\($0)")) }
    }
}

/// Escapes the message and every metadata value (the logger's own, the
/// provider's and the call's) before `Wrapped` writes them: swift-log's
/// plain stream handler prints values as they are.
struct EscapingLogHandler<Wrapped: LogHandler>: LogHandler {
    var wrapped: Wrapped
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
        metadataProvider = wrapped.metadataProvider
        self.wrapped.metadataProvider = nil
    }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var event = event
        event.message = "\(LogText.escaped("\(event.message)"))"
        event.metadata = LogText.escaped(all)
        wrapped.log(event: event)
    }
}
