/// A text that reached `POST /v1/sms/inbound` with a good signature, as the
/// sector keeps it (once per `MessageSid`).
public struct InboundText: Sendable, Equatable {
    /// What the text was, from its first word and its sender.
    public enum Kind: String, Sendable, CaseIterable {
        /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: the phone opted out.
        case stop
        /// START, UNSTOP, YES: the phone opted back in.
        case start
        /// HELP, INFO.
        case help
        /// ACK, OK.
        case ack
        /// Any other text from a subscriber: a sighting report.
        case report
        /// Any other text from a phone that is no subscriber's: kept for operators only.
        case unknown
    }

    public var messageSid: String
    public var from: String
    public var to: String
    public var body: String
    public var receivedTs: Int64
    public var kind: Kind
    /// The subscriber's name; nil for an unknown phone.
    public var subscriber: String?
    /// The reply's text (inside `<Message>`).
    public var reply: String

    public init(
        messageSid: String, from: String, to: String, body: String, receivedTs: Int64, kind: Kind,
        subscriber: String?, reply: String
    ) {
        self.messageSid = messageSid
        self.from = from
        self.to = to
        self.body = body
        self.receivedTs = receivedTs
        self.kind = kind
        self.subscriber = subscriber
        self.reply = reply
    }
}

/// A sighting a subscriber texted, handed to the boxes watching its zone.
public struct SectorReport: Sendable, Equatable {
    public var id: String
    public var zone: String
    /// Only this box gets it (the subscriber's zone was `box:zone`); nil: every box watching `zone`.
    public var box: String?
    /// FOOT, VEH, ANIM or UNK.
    public var detectionClass: String
    /// The whole text.
    public var note: String
    public var ts: Int64
    public var from: String
    public var subscriber: String?
    public var messageSid: String
    /// The boxes that listed it in `reports_taken` (filled by `reports(since:limit:)`).
    public var takenBy: [String]

    public init(
        id: String, zone: String, box: String?, detectionClass: String, note: String, ts: Int64, from: String,
        subscriber: String?, messageSid: String, takenBy: [String] = []
    ) {
        self.id = id
        self.zone = zone
        self.box = box
        self.detectionClass = detectionClass
        self.note = note
        self.ts = ts
        self.from = from
        self.subscriber = subscriber
        self.messageSid = messageSid
        self.takenBy = takenBy
    }
}

/// A phone opted out, with the keyword and time.
public struct PhoneOptOut: Sendable, Equatable {
    public var phone: String
    public var keyword: String
    public var changedTs: Int64

    public init(phone: String, keyword: String, changedTs: Int64) {
        self.phone = phone
        self.keyword = keyword
        self.changedTs = changedTs
    }
}
