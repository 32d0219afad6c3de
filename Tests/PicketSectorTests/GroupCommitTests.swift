import Synchronization
import Testing

@testable import PicketSector

/// The group commit both sector stores store alerts through.
@Suite struct GroupCommitTests {
    /// Callers that arrive while a commit runs go into the next one
    /// together, each gets its own outcome, and no more than `inFlight`
    /// commits run at once.
    @Test func waitingCallersShareACommit() async throws {
        let group = GroupCommit<Int, Int>(limit: 50, inFlight: 1)
        let batches = Mutex<[[Int]]>([])
        let running = Mutex(0)
        let overlapped = Mutex(false)
        let commit: GroupCommit<Int, Int>.Commit = { items in
            let now = running.withLock { value in
                value += 1
                return value
            }
            if now > 1 { overlapped.withLock { $0 = true } }
            try await Task.sleep(for: .milliseconds(20))
            running.withLock { $0 -= 1 }
            batches.withLock { $0.append(items) }
            return items.map { $0 * 10 }
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
            for i in 0..<120 { tasks.addTask { (i, try await group.submit(i, commit: commit)) } }
            var all: [Int: Int] = [:]
            for try await (i, outcome) in tasks { all[i] = outcome }
            return all
        }
        #expect(answers.count == 120)
        #expect(answers.allSatisfy { $0.value == $0.key * 10 })
        let sizes = batches.withLock { $0.map(\.count) }
        #expect(sizes.reduce(0, +) == 120)
        #expect(sizes.allSatisfy { $0 <= 50 })
        // 120 callers and a 20 ms commit: they cannot all have gone alone.
        #expect(sizes.count < 120, "\(sizes)")
        #expect(!overlapped.withLock { $0 })
    }

    struct Refused: Error {}

    /// A commit of several that fails is retried one by one: only the
    /// caller whose item fails gets the error.
    @Test func oneBadItemFailsOnlyItsCaller() async throws {
        let group = GroupCommit<Int, Int>(limit: 100, inFlight: 1)
        let gate = Mutex(true)
        let commit: GroupCommit<Int, Int>.Commit = { items in
            // The first commit holds the line so that the rest queue up together.
            if gate.withLock({ open in
                defer { open = false }; return open
            }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            if items.contains(13) { throw Refused() }
            return items
        }
        let results = await withTaskGroup(of: (Int, Bool).self) { tasks in
            for i in 0..<30 {
                tasks.addTask {
                    do {
                        return (i, try await group.submit(i, commit: commit) == i)
                    } catch {
                        return (i, false)
                    }
                }
            }
            var all: [Int: Bool] = [:]
            for await (i, ok) in tasks { all[i] = ok }
            return all
        }
        #expect(results.count == 30)
        #expect(results.filter { !$0.value }.map(\.key) == [13])
    }
}
