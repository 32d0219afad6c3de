/// Debounces every GPIO line of a box (PRODUCT.md section 4).
///
/// A burst is a maximal run of edges on one line, each less than `w` after
/// the previous one. When `w` has passed after the burst's last edge, the raw
/// level is compared with the debounced state: a difference flips the state
/// and emits one event stamped with the burst's *first* edge; no difference
/// is a glitch. Lines are indexed (the configuration's `gpio` order) and kept
/// in flat arrays so an edge costs a few loads and stores and no allocation.
///
/// Time only moves forward through `advance(to:)`, which the caller drives:
/// in a replay with each input's time, live with a watermark that trails the
/// clock by the drivers' latency, so a burst is never closed early because
/// another line's input was handled first.
public struct Debouncer: Sendable {
    /// A debounced flip.
    public struct Flip: Sendable, Equatable {
        public var line: Int
        public var state: EventState
        /// Time of the burst's first edge.
        public var ts: Int64

        public init(line: Int, state: EventState, ts: Int64) {
            self.line = line
            self.state = state
            self.ts = ts
        }
    }

    struct Line: Sendable {
        var windowNs: Int64
        var activeHigh: Bool
        var debouncedActive = false
        var rawHigh: Bool
        var inBurst = false
        var burstFirst: Int64 = 0
        var lastEdge: Int64 = 0
    }

    private var lines: [Line]
    /// Scratch for `closeBursts`: the lines closing, in the order they flip.
    private var closingOrder: [Int]
    /// Glitches (bursts that ended where they started), per line.
    public private(set) var glitches: [Int]
    /// Earliest time at which an open burst closes; `Int64.max` when none is open.
    private var nextDeadline = Int64.max

    /// - Parameters:
    ///   - windows: `debounce_ms` of each line, in nanoseconds.
    ///   - activeHigh: whether a high level is active, per line.
    public init(windowsNs: [Int64], activeHigh: [Bool]) {
        precondition(windowsNs.count == activeHigh.count)
        lines = zip(windowsNs, activeHigh).map { Line(windowNs: max(0, $0), activeHigh: $1, rawHigh: !$1) }
        glitches = Array(repeating: 0, count: windowsNs.count)
        closingOrder = Array(repeating: 0, count: windowsNs.count)
    }

    public var lineCount: Int { lines.count }

    /// Whether line `line`'s debounced state is active.
    public func isActive(line: Int) -> Bool { lines[line].debouncedActive }

    /// The first edge of the earliest burst still open, or `Int64.max` when
    /// none is. A flip still to come is stamped no earlier than this, however
    /// long its burst goes on bouncing.
    public var earliestOpenBurst: Int64 {
        guard nextDeadline != Int64.max else { return Int64.max }
        var earliest = Int64.max
        for line in lines where line.inBurst { earliest = min(earliest, line.burstFirst) }
        return earliest
    }

    /// Handles one raw edge. Edges of one line must come in time order.
    @inline(__always)
    public mutating func edge(line index: Int, rising: Bool, at t: Int64, _ emit: (Flip) -> Void) {
        var line = lines[index]
        if line.inBurst && t &- line.lastEdge >= line.windowNs {
            close(&line, index: index, emit)
        }
        if line.inBurst {
            line.lastEdge = t
        } else {
            line.inBurst = true
            line.burstFirst = t
            line.lastEdge = t
        }
        line.rawHigh = rising
        if line.windowNs == 0 {
            close(&line, index: index, emit)
        } else if t &+ line.windowNs < nextDeadline {
            nextDeadline = t &+ line.windowNs
        }
        lines[index] = line
    }

    /// Whether `advance(to: t)` would close a burst.
    @inline(__always)
    public func isDue(at t: Int64) -> Bool { t >= nextDeadline }

    /// Closes every burst whose window has passed by `t` (deadline <= t).
    /// Flips come out in order of their time, then line.
    public mutating func advance(to t: Int64, _ emit: (Flip) -> Void) {
        guard t >= nextDeadline else { return }
        closeBursts(where: { $0.lastEdge &+ $0.windowNs <= t }, emit)
    }

    /// Closes every open burst as if time went on (end of a replay).
    public mutating func finish(_ emit: (Flip) -> Void) {
        closeBursts(where: { _ in true }, emit)
    }

    private mutating func closeBursts(where due: (Line) -> Bool, _ emit: (Flip) -> Void) {
        // The due lines, sorted by (first edge, line) as they are found, go
        // into a buffer sized once in `init`: closing bursts allocates nothing.
        var closing = 0
        var earliest = Int64.max
        lines.withUnsafeMutableBufferPointer { lines in
            closingOrder.withUnsafeMutableBufferPointer { order in
                for index in lines.indices where lines[index].inBurst {
                    guard due(lines[index]) else {
                        earliest = min(earliest, lines[index].lastEdge &+ lines[index].windowNs)
                        continue
                    }
                    // Insertion: lines are found in index order, so equal
                    // first edges stay ordered by line.
                    let ts = lines[index].burstFirst
                    var slot = closing
                    while slot > 0 && lines[order[slot - 1]].burstFirst > ts {
                        order[slot] = order[slot - 1]
                        slot -= 1
                    }
                    order[slot] = index
                    closing += 1
                }
            }
        }
        nextDeadline = earliest
        for slot in 0..<closing {
            let index = closingOrder[slot]
            var line = lines[index]
            close(&line, index: index, emit)
            lines[index] = line
        }
    }

    @inline(__always)
    private mutating func close(_ line: inout Line, index: Int, _ emit: (Flip) -> Void) {
        line.inBurst = false
        let active = line.rawHigh == line.activeHigh
        if active != line.debouncedActive {
            line.debouncedActive = active
            emit(Flip(line: index, state: active ? .active : .inactive, ts: line.burstFirst))
        } else {
            glitches[index] += 1
        }
    }
}
