import Foundation
import PicketStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How `picket events` and `picket alerts` print rows: the ones stored now
/// (or the newest `--limit`), then with `--follow` the ones committed later
/// by another process (a running `picket run`), until SIGINT or SIGTERM.
///
/// The follower polls the table's highest `seq` every 200 ms, an index
/// lookup in a read transaction of its own that never blocks the writer
/// (WAL), and reads only the rows stored after the last one it saw; at each
/// poll it also ends when standard output's reader has gone away.
enum RowStream {
    static let pollInterval: useconds_t = 200_000

    /// Raised by a row printer to end the stream early: stdout was closed or
    /// an interrupt came.
    struct Stop: Error {}

    /// - Parameters:
    ///   - lastSeq: the table's highest `seq` now.
    ///   - rows: prints every row `query` matches; checks `stopRequested` between rows.
    ///   - backlogDone: called once the rows stored at the start are printed (a table prints its header).
    static func run(
        _ query: RowQuery, follow: Bool, lastSeq: () throws -> Int64, rows: (RowQuery) throws -> Void,
        backlogDone: () throws -> Void
    ) throws {
        if follow { trapInterrupts() }
        do {
            var backlog = query
            let start = try lastSeq()
            // The rows stored at the start (the newest N of them exactly
            // those, while a daemon adds more), then those stored after.
            backlog.throughSeq = start
            try rows(backlog)
            try backlogDone()
            guard follow else { return }
            Console.flushEachLine()
            var seen = start
            var tail = query
            tail.limit = nil
            tail.order = .stored
            while !stopRequested {
                usleep(pollInterval)
                // Nobody reads any more (`| head -1` done): end now, exit 0.
                if Console.readerGone() { return }
                let newest = try lastSeq()
                // Rows deleted at the top (everything pruned): new rows may
                // reuse lower numbers, so continue from the new end.
                if newest < seen { seen = newest }
                guard newest > seen else { continue }
                tail.afterSeq = seen
                tail.throughSeq = newest
                try rows(tail)
                seen = newest
            }
        } catch is Stop {
            return
        }
    }

    /// True when printing should end: stdout is closed (`| head`), or SIGINT
    /// or SIGTERM came while following.
    static var stopRequested: Bool { Console.isClosed || interrupted.load(ordering: .relaxed) }

    /// Throws `Stop` when printing should end.
    static func checkStop() throws {
        if stopRequested { throw Stop() }
    }

    private static let interrupted = Atomic<Bool>(false)

    /// From now on SIGINT and SIGTERM end the stream (and the command exits 0)
    /// instead of killing the process.
    private static func trapInterrupts() {
        for sig in [SIGINT, SIGTERM] {
            _ = signal(sig) { _ in RowStream.interrupted.store(true, ordering: .relaxed) }
        }
    }
}
