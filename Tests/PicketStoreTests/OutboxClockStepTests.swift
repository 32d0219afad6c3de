import Foundation
import PicketCore
import PicketStore
import Testing

/// A retry scheduled before the wall clock stepped back is not left waiting
/// for the step's length.
@Suite struct OutboxClockStepTests {
    @Test func aRetryFurtherAheadThanAnyBackoffIsDueAtOnce() throws {
        let database = try TemporaryDatabase("picket-step")
        let store = try Store(path: database.path)
        let now: Int64 = 1_780_000_000_000_000_000
        let minute: Int64 = 60_000_000_000
        var batch = StoreBatch()
        batch.outbox = ["soon", "stepped"].map {
            OutboxEntry(id: $0, destination: "sector", alerts: [$0], severityRank: 2, createdTs: now)
        }
        try store.write(batch, run: "r", now: now)
        // "soon" backs off ten minutes; "stepped" was scheduled ten minutes
        // ahead of a clock that has since been stepped back two hours.
        try store.markRetry("soon", status: 503, response: "busy", nextAttemptTs: now + 10 * minute)
        try store.markRetry("stepped", status: 503, response: "busy", nextAttemptTs: now + 130 * minute)
        #expect(try store.dueDeliveries(now: now, limit: 10).map(\.id) == ["stepped"])
        #expect(try store.dueDeliveries(now: now + 10 * minute, limit: 10).map(\.id).sorted() == ["soon", "stepped"])
    }
}
