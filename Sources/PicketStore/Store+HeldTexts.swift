/// An alert held for a landowner's text: during quiet hours or past the
/// hourly cap it waits in `hotline_held` until the sender's planner turns it
/// into a text (alone or in a digest). Not yet in the outbox, but waiting.
public struct HeldText: Sendable, Equatable {
    public var subscriber: String
    public var alert: String
    /// When it was held.
    public var heldTs: Int64

    public init(subscriber: String, alert: String, heldTs: Int64) {
        self.subscriber = subscriber
        self.alert = alert
        self.heldTs = heldTs
    }
}

extension Store {
    /// Every held text, oldest first, for `picket alerts --pending`.
    public func heldTexts() throws(StoreError) -> [HeldText] {
        try wrap {
            let s = try database.statement(
                "SELECT subscriber, alert, held_ts FROM hotline_held ORDER BY held_ts, subscriber, alert")
            s.reset()
            var out: [HeldText] = []
            while try s.step() { out.append(HeldText(subscriber: s.string(0), alert: s.string(1), heldTs: s.int64(2))) }
            s.reset()
            return out
        }
    }
}
