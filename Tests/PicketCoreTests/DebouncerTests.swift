import PicketCore
import Testing

/// PRODUCT.md section 4: a burst is a maximal run of edges each less than `w`
/// after the previous one; `w` after its last edge the raw level is compared
/// with the debounced state, and a difference is one event stamped with the
/// burst's first edge.
@Suite("Debouncer")
struct DebouncerTests {
    static let ms: Int64 = 1_000_000

    typealias Flip = Debouncer.Flip

    /// One line, driven the way the processor drives it: time moves to each
    /// edge's instant before the edge is handled.
    struct Harness {
        var debouncer: Debouncer
        var flips: [Flip] = []

        init(windowsMs: [Int64], activeHigh: [Bool]? = nil) {
            debouncer = Debouncer(
                windowsNs: windowsMs.map { $0 * DebouncerTests.ms },
                activeHigh: activeHigh ?? Array(repeating: true, count: windowsMs.count))
        }

        mutating func edge(_ line: Int = 0, rising: Bool, at t: Int64) {
            debouncer.advance(to: t) { flips.append($0) }
            debouncer.edge(line: line, rising: rising, at: t) { flips.append($0) }
        }

        mutating func advance(to t: Int64) {
            debouncer.advance(to: t) { flips.append($0) }
        }

        mutating func finish() {
            debouncer.finish { flips.append($0) }
        }
    }

    @Test("contact bounce makes one event stamped at the burst's first edge")
    func bounceBurst() {
        var h = Harness(windowsMs: [30])
        let t0: Int64 = 1_000 * Self.ms
        // Rising, then bouncing for 12 ms, ending high.
        let edges: [(Int64, Bool)] = [(0, true), (2, false), (5, true), (9, false), (12, true)]
        for (offset, rising) in edges { h.edge(rising: rising, at: t0 + offset * Self.ms) }
        h.advance(to: t0 + 41 * Self.ms)
        #expect(h.flips.isEmpty, "the window closes 30 ms after the LAST edge, at +42 ms")
        h.advance(to: t0 + 42 * Self.ms)
        #expect(h.flips == [Flip(line: 0, state: .active, ts: t0)])
        #expect(h.debouncer.isActive(line: 0))
        #expect(h.debouncer.glitches == [0])

        // Released with bounce too: one inactive event at the first falling edge.
        let t1 = t0 + 500 * Self.ms
        for (offset, rising) in [(0, false), (3, true), (4, false)] as [(Int64, Bool)] {
            h.edge(rising: rising, at: t1 + offset * Self.ms)
        }
        h.finish()
        #expect(h.flips == [Flip(line: 0, state: .active, ts: t0), Flip(line: 0, state: .inactive, ts: t1)])
        #expect(!h.debouncer.isActive(line: 0))
    }

    @Test("a 2 ms pulse with w = 30 ms is a glitch: counted, no event")
    func shortPulseIsGlitch() {
        var h = Harness(windowsMs: [30])
        h.edge(rising: true, at: 100 * Self.ms)
        h.edge(rising: false, at: 102 * Self.ms)
        h.advance(to: 10_000 * Self.ms)
        #expect(h.flips.isEmpty)
        #expect(h.debouncer.glitches == [1])
        #expect(!h.debouncer.isActive(line: 0))
    }

    @Test("active-low: a falling edge is active, a rising edge inactive")
    func activeLow() {
        var h = Harness(windowsMs: [10], activeHigh: [false])
        #expect(!h.debouncer.isActive(line: 0), "the debounced state starts inactive")
        h.edge(rising: false, at: 50 * Self.ms)
        h.advance(to: 60 * Self.ms)
        h.edge(rising: true, at: 200 * Self.ms)
        h.edge(rising: false, at: 201 * Self.ms)
        h.edge(rising: true, at: 203 * Self.ms)
        h.finish()
        #expect(
            h.flips == [
                Flip(line: 0, state: .active, ts: 50 * Self.ms),
                Flip(line: 0, state: .inactive, ts: 200 * Self.ms),
            ])
    }

    @Test("active-low: a rising edge from the idle high level is a glitch")
    func activeLowIdleLevel() {
        // An active-low line idles high; a stray rising edge does not change the level.
        var h = Harness(windowsMs: [5], activeHigh: [false])
        h.edge(rising: true, at: 10 * Self.ms)
        h.finish()
        #expect(h.flips.isEmpty)
        #expect(h.debouncer.glitches == [1])
    }

    @Test("w = 0: every edge is its own burst, even two at the same instant")
    func zeroWindow() {
        var h = Harness(windowsMs: [0])
        let t: Int64 = 7 * Self.ms
        h.edge(rising: true, at: t)
        h.edge(rising: false, at: t)
        h.edge(rising: true, at: t + 1)
        #expect(
            h.flips == [
                Flip(line: 0, state: .active, ts: t),
                Flip(line: 0, state: .inactive, ts: t),
                Flip(line: 0, state: .active, ts: t + 1),
            ])
        h.finish()
        #expect(h.flips.count == 3)
        #expect(h.debouncer.glitches == [0])
    }

    @Test("an edge exactly w after the previous one starts a new burst")
    func exactlyWindowApartSplits() {
        var h = Harness(windowsMs: [30])
        let w = 30 * Self.ms
        // Drive edges without advancing so only the edge rule decides.
        h.debouncer.edge(line: 0, rising: true, at: 0) { h.flips.append($0) }
        h.debouncer.edge(line: 0, rising: false, at: w) { h.flips.append($0) }
        // The first burst (one rising edge) closed active, stamped 0.
        #expect(h.flips == [Flip(line: 0, state: .active, ts: 0)])
        h.finish()
        #expect(h.flips == [Flip(line: 0, state: .active, ts: 0), Flip(line: 0, state: .inactive, ts: w)])
    }

    @Test("an edge less than w after the previous one joins the burst")
    func oneNanosecondLessJoins() {
        var h = Harness(windowsMs: [30])
        let w = 30 * Self.ms
        h.debouncer.edge(line: 0, rising: true, at: 0) { h.flips.append($0) }
        h.debouncer.edge(line: 0, rising: false, at: w - 1) { h.flips.append($0) }
        h.debouncer.edge(line: 0, rising: true, at: 2 * w - 2) { h.flips.append($0) }
        #expect(h.flips.isEmpty)
        h.finish()
        // One burst spanning almost 2w, stamped at its first edge.
        #expect(h.flips == [Flip(line: 0, state: .active, ts: 0)])
    }

    @Test("finish completes windows still open, as if time went on")
    func finishClosesOpenWindows() {
        var h = Harness(windowsMs: [30, 50])
        h.edge(0, rising: true, at: 1_000 * Self.ms)
        h.edge(1, rising: true, at: 1_010 * Self.ms)
        h.edge(1, rising: false, at: 1_012 * Self.ms)
        #expect(h.flips.isEmpty)
        h.finish()
        #expect(h.flips == [Flip(line: 0, state: .active, ts: 1_000 * Self.ms)])
        #expect(h.debouncer.glitches == [0, 1])
        // Nothing is left open.
        h.finish()
        #expect(h.flips.count == 1)
    }

    @Test("advance(to:) closes a burst only when its deadline is <= t")
    func advanceDeadline() {
        var h = Harness(windowsMs: [30])
        let t0: Int64 = 5_000 * Self.ms
        h.edge(rising: true, at: t0)
        let deadline = t0 + 30 * Self.ms
        h.advance(to: deadline - 1)
        #expect(h.flips.isEmpty)
        #expect(!h.debouncer.isActive(line: 0))
        h.advance(to: deadline)
        #expect(h.flips == [Flip(line: 0, state: .active, ts: t0)])
        #expect(h.debouncer.isActive(line: 0))
    }

    @Test("a later edge moves the deadline: advancing to the first deadline closes nothing")
    func deadlineFollowsLastEdge() {
        var h = Harness(windowsMs: [30, 30])
        h.edge(0, rising: true, at: 0)
        h.edge(0, rising: false, at: 20 * Self.ms)
        h.edge(1, rising: true, at: 25 * Self.ms)
        h.advance(to: 30 * Self.ms)
        #expect(h.flips.isEmpty)
        h.advance(to: 50 * Self.ms)
        #expect(h.debouncer.glitches == [1, 0])
        #expect(h.flips.isEmpty)
        h.advance(to: 55 * Self.ms)
        #expect(h.flips == [Flip(line: 1, state: .active, ts: 25 * Self.ms)])
    }

    @Test("several lines closing at once come out ordered by time, then line")
    func severalLinesOrdered() {
        // Windows differ, so the order in which windows close is not the
        // order of the events' times.
        var h = Harness(windowsMs: [10, 50, 20, 40])
        h.edge(1, rising: true, at: 100 * Self.ms)  // closes at 150
        h.edge(3, rising: true, at: 100 * Self.ms)  // closes at 140; stamped like line 1
        h.edge(2, rising: true, at: 105 * Self.ms)  // would close at 125
        h.edge(2, rising: false, at: 110 * Self.ms)  // moves line 2 to 130, ends low: glitch
        h.edge(0, rising: true, at: 130 * Self.ms)  // closes at 140, with line 3
        #expect(h.flips.isEmpty)
        h.advance(to: 200 * Self.ms)
        #expect(
            h.flips == [
                Flip(line: 1, state: .active, ts: 100 * Self.ms),
                Flip(line: 3, state: .active, ts: 100 * Self.ms),
                Flip(line: 0, state: .active, ts: 130 * Self.ms),
            ])
        #expect(h.debouncer.glitches == [0, 0, 1, 0])
    }

    @Test("finish orders every line's flip by time, then line")
    func finishOrdered() {
        var h = Harness(windowsMs: [30, 30, 30])
        h.edge(2, rising: true, at: 10)
        h.edge(0, rising: true, at: 20)
        h.edge(1, rising: true, at: 10)
        h.finish()
        #expect(
            h.flips == [
                Flip(line: 1, state: .active, ts: 10),
                Flip(line: 2, state: .active, ts: 10),
                Flip(line: 0, state: .active, ts: 20),
            ])
    }

    @Test("lines are independent: a burst on one line does not close another's", arguments: [1, 30, 100])
    func linesIndependent(windowMs: Int64) {
        var h = Harness(windowsMs: [windowMs, windowMs])
        h.edge(0, rising: true, at: 0)
        for i in 1...10 { h.edge(1, rising: i % 2 == 1, at: Int64(i) * (windowMs * Self.ms / 4)) }
        h.finish()
        #expect(h.flips.first == Flip(line: 0, state: .active, ts: 0))
        #expect(h.flips.count == 1)
        #expect(h.debouncer.glitches == [0, 1])
    }
}
