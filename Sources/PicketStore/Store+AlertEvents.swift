import PicketCore

extension Store {
    /// The stored events with these ids, in the order given; an id not
    /// stored (pruned, or never written) is left out. A text names what an
    /// alert saw from its events' classes.
    public func events(ids: [String]) throws(StoreError) -> [Event] {
        try wrap {
            let s = try database.statement("SELECT \(Self.eventColumns) FROM events WHERE id = ?")
            var out: [Event] = []
            for id in ids {
                s.reset()
                s.bind(1, id)
                if try s.step() { out.append(Self.event(s)) }
            }
            s.reset()
            return out
        }
    }
}
