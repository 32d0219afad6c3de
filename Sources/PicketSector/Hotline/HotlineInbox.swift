import Foundation
import PicketCore

/// What the sector does with a text whose signature checked (PRODUCT.md 7a):
/// the first word decides (STOP and its family, START, HELP, ACK), any
/// other text from a subscriber is a sighting report for one of its zones,
/// and a text from an unknown phone is only kept. Every text is recorded
/// once by `MessageSid` with its reply; a `MessageSid` seen before changes
/// nothing and gets the reply it got the first time.
struct HotlineInbox: Sendable {
    /// An ACK acknowledges the latest alert texted to the phone this long ago at most.
    static let ackWindowNs: Int64 = 24 * 3600 * 1_000_000_000
    static let stopWords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
    static let startWords: Set<String> = ["START", "UNSTOP", "YES"]
    static let helpWords: Set<String> = ["HELP", "INFO"]
    static let ackWords: Set<String> = ["ACK", "OK"]

    let store: any SectorStore
    let clock: any PicketClock
    let sector: String
    let contact: String?

    /// A text the gateway sent, as its form fields.
    struct Incoming {
        var messageSid: String
        var from: String
        var to: String
        var body: String
    }

    /// Why the form cannot be taken (400).
    struct Refusal: Error {
        var reason: String
    }

    /// `MessageSid` and `From` are required; a `MessageSid` is printable
    /// ASCII without spaces, up to 100 characters (it names the report).
    static func incoming(_ fields: [(String, String)]) throws(Refusal) -> Incoming {
        func first(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }
        guard let sid = first("MessageSid"), !sid.isEmpty else {
            throw Refusal(reason: "the form has no MessageSid; the gateway sends one with every text")
        }
        guard sid.count <= 100, sid.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw Refusal(reason: "MessageSid \(sid.prefix(100)) is not up to 100 printable ASCII characters")
        }
        guard let from = first("From")?.trimmingCharacters(in: .whitespaces), !from.isEmpty else {
            throw Refusal(reason: "the text \(sid) has no From")
        }
        return Incoming(messageSid: sid, from: from, to: first("To") ?? "", body: first("Body") ?? "")
    }

    /// The first word, upper-cased, without punctuation around it (`Stop.` is STOP).
    static func firstWord(_ body: String) -> String {
        let word = body.split(whereSeparator: { $0.isWhitespace }).first ?? ""
        return word.trimmingCharacters(in: CharacterSet.letters.inverted).uppercased()
    }

    /// The reply for `text`, after doing what it asks.
    func take(_ text: Incoming) async throws -> String {
        if let seen = try await store.inboundText(messageSid: text.messageSid) { return seen.reply }
        let now = clock.wallNs()
        let subscriber = try await store.subscriber(phone: text.from)?.subscriber
        let word = Self.firstWord(text.body)
        var report: SectorReport?
        let kind: InboundText.Kind
        let reply: String
        // An opted-out phone gets nothing (PRODUCT.md 7a), replies included, but the answers to START and
        // HELP (carriers require HELP to be answered); what it sends is still kept (a sighting too).
        let optedOut = try await store.isOptedOut(phone: text.from)
        var quiet = optedOut
        if Self.stopWords.contains(word) {
            kind = .stop
            // One confirmation: a STOP from a phone already opted out is not answered again.
            let changed = try await store.setOptedOut(phone: text.from, true, keyword: word, at: now)
            quiet = !changed
            reply = "You will get no more Picket texts from sector \(sector). Reply START to get them again."
        } else if Self.startWords.contains(word) {
            kind = .start
            quiet = false
            _ = try await store.setOptedOut(phone: text.from, false, keyword: word, at: now)
            reply =
                subscriber == nil
                ? "This phone is not on the Picket list of sector \(sector);\(call) ask its operators to add it."
                : "Picket texts from sector \(sector) resume. Reply STOP to stop, HELP for help."
        } else if Self.helpWords.contains(word) {
            kind = .help
            quiet = false
            reply =
                "Picket alerts from sector \(sector).\(call) Reply ACK to acknowledge an alert, STOP to stop; "
                + "other texts report a sighting."
        } else if Self.ackWords.contains(word) {
            kind = .ack
            reply = try await acknowledge(from: text.from, subscriber: subscriber, at: now)
        } else if let subscriber, !text.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            case let (box, zone) = Self.zone(for: text.body, of: subscriber), !zone.isEmpty
        {
            kind = .report
            report = SectorReport(
                id: "sms-\(text.messageSid)", zone: zone, box: box,
                detectionClass: Sighting.detectionClass(ofText: text.body).rawValue, note: text.body, ts: now,
                from: text.from, subscriber: subscriber.name, messageSid: text.messageSid)
            reply = "Thank you, your sighting in \(zone) goes to the boxes of sector \(sector)."
        } else {
            kind = .unknown
            reply =
                subscriber == nil
                ? "This phone is not on the Picket list of sector \(sector); your text was kept for its operators.\(call)"
                : "Picket sector \(sector): text what you see and where, ACK, HELP or STOP."
        }
        let fitted = quiet ? "" : Self.fit(reply)
        let record = InboundText(
            messageSid: text.messageSid, from: text.from, to: text.to, body: text.body, receivedTs: now, kind: kind,
            subscriber: subscriber?.name, reply: fitted)
        if try await store.recordInbound(record, report: report) == .duplicate {
            // Another process took the same MessageSid first: its reply stands.
            return try await store.inboundText(messageSid: text.messageSid)?.reply ?? fitted
        }
        return fitted
    }

    /// ` Call +1802...` when the sector has a contact.
    var call: String { contact.map { " Call \($0)." } ?? "" }

    /// ACK: the latest alert texted to `from` in the last 24 hours, acknowledged by the phone.
    func acknowledge(from: String, subscriber: Subscriber?, at now: Int64) async throws -> String {
        guard let id = try await store.latestTextedAlert(phone: from, since: now - Self.ackWindowNs) else {
            return "No Picket alert was texted to this phone in the last 24 hours; nothing to acknowledge."
        }
        let by = "sms:\(from)" + (subscriber.map { " (\($0.name))" } ?? "")
        switch try await store.acknowledge(id: id, by: by, at: now) {
        case .acknowledged(let alert):
            return "Acknowledged: \(Self.describe(alert)). Thank you."
        case .alreadyAcknowledged(let alert):
            return "Already acknowledged by \(alert.acknowledgedBy ?? "someone"): \(Self.describe(alert))."
        case .notFound:
            return "The alert texted to this phone (\(id)) is no longer at the sector; nothing to acknowledge."
        }
    }

    static func describe(_ alert: SectorAlertRecord) -> String {
        alert.summary ?? [alert.rule, alert.zone.map { "in \($0)" }].compactMap { $0 }.joined(separator: " ")
    }

    /// The zone a report is for: a zone of the subscriber's that the text
    /// names (as a whole word, any case), else the subscriber's first.
    /// `box:zone` gives the box too.
    static func zone(for body: String, of subscriber: Subscriber) -> (box: String?, zone: String) {
        let words = Set(
            body.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".")) })
        let parsed = subscriber.zones.map { entry -> (String?, String) in
            guard let colon = entry.firstIndex(of: ":") else { return (nil, entry) }
            return (String(entry[..<colon]), String(entry[entry.index(after: colon)...]))
        }
        guard let picked = parsed.first(where: { words.contains($0.1.lowercased()) }) ?? parsed.first else {
            return (nil, "")
        }
        return (picked.0, picked.1)
    }

    /// Plain ASCII (the box's wording rules) in one SMS segment.
    static func fit(_ reply: String) -> String {
        HotlinePlanner.truncated(HotlinePlanner.gsm(reply), to: HotlinePlanner.maxTextLength)
    }

    /// `<Response><Message>reply</Message></Response>`, XML-escaped.
    static func twiml(_ reply: String?) -> String {
        guard let reply, !reply.isEmpty else { return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>" }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>\(CAPDocument.escape(reply))</Message>"
            + "</Response>"
    }
}
