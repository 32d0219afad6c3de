/// `picket alerts --retry PREFIX` and `--all-dead` (PRODUCT.md section 8).
extension Store {
    /// The ids that `--retry` can take (a dead delivery's, or an alert's
    /// with a dead delivery) starting with `prefix`, sorted. An exact id is
    /// the only candidate, even when it is the prefix of a longer one.
    public func deadIDs(startingWith prefix: String) throws(StoreError) -> [String] {
        try wrap {
            let s = try database.statement(
                """
                SELECT id FROM deliveries WHERE state = 'dead' AND substr(id, 1, length(?1)) = ?1
                UNION
                SELECT json_each.value FROM deliveries, json_each(deliveries.alerts)
                    WHERE deliveries.state = 'dead' AND substr(json_each.value, 1, length(?1)) = ?1
                ORDER BY 1
                """)
            s.reset()
            s.bind(1, prefix)
            var ids: [String] = []
            while try s.step() { ids.append(s.string(0)) }
            s.reset()
            return ids.contains(prefix) ? [prefix] : ids
        }
    }

    /// Every dead delivery back in the queue; returns how many.
    public func retryAllDead() throws(StoreError) -> Int {
        try wrap {
            try database.transaction {
                let s = try database.statement("SELECT DISTINCT id FROM deliveries WHERE state = 'dead' ORDER BY id")
                s.reset()
                var ids: [String] = []
                while try s.step() { ids.append(s.string(0)) }
                s.reset()
                var revived = 0
                for id in ids { revived += try retryDead(id) }
                return revived
            }
        }
    }
}
