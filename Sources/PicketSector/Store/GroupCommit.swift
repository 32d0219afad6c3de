/// Group commit: callers that arrive while a commit is on its way wait
/// together and go into the next one, so the disk's flush, the database's
/// round trip and its transaction are paid once for many writes instead of
/// once each. Both sector stores store boxes' alerts through it.
///
/// At most `inFlight` commits run at once (1 for SQLite's single writer,
/// a few for a PostgreSQL pool); each takes up to `limit` waiting items in
/// the order they came. A caller is answered only when the commit holding
/// its item returned, never before. When a commit of several items fails,
/// each is committed again alone, so one bad item fails only its caller.
actor GroupCommit<Item: Sendable, Outcome: Sendable> {
    typealias Commit = @Sendable ([Item]) async throws -> [Outcome]

    private struct Waiting {
        var item: Item
        var answer: CheckedContinuation<Outcome, any Error>
        var commit: Commit
    }

    let limit: Int
    let inFlight: Int
    private var waiting: [Waiting] = []
    private var running = 0

    init(limit: Int, inFlight: Int) {
        precondition(limit > 0 && inFlight > 0)
        self.limit = limit
        self.inFlight = inFlight
    }

    /// Commits `item` with others waiting at the same time. `commit` must
    /// return one outcome per item, in their order; the batch is committed
    /// with the `commit` of its first item.
    func submit(_ item: Item, commit: @escaping Commit) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (answer: CheckedContinuation<Outcome, any Error>) in
            waiting.append(Waiting(item: item, answer: answer, commit: commit))
            startIfIdle()
        }
    }

    private func startIfIdle() {
        guard running < inFlight, !waiting.isEmpty else { return }
        let batch = Array(waiting.prefix(limit))
        waiting.removeFirst(batch.count)
        running += 1
        Task {
            await Self.run(batch)
            self.finished()
        }
    }

    private func finished() {
        running -= 1
        startIfIdle()
    }

    private static func run(_ batch: [Waiting]) async {
        let commit = batch[0].commit
        do {
            let outcomes = try await commit(batch.map(\.item))
            guard outcomes.count == batch.count else {
                throw CountMismatch(items: batch.count, outcomes: outcomes.count)
            }
            for (waiting, outcome) in zip(batch, outcomes) { waiting.answer.resume(returning: outcome) }
        } catch  where batch.count > 1 {
            for waiting in batch {
                do {
                    let outcome = try await commit([waiting.item])
                    guard let first = outcome.first else { throw CountMismatch(items: 1, outcomes: 0) }
                    waiting.answer.resume(returning: first)
                } catch {
                    waiting.answer.resume(throwing: error)
                }
            }
        } catch {
            for waiting in batch { waiting.answer.resume(throwing: error) }
        }
    }

    struct CountMismatch: Error, CustomStringConvertible {
        var items: Int
        var outcomes: Int
        var description: String { "a group commit of \(items) items answered \(outcomes) outcomes" }
    }
}
