import PicketCore
import Testing

/// PRODUCT.md section 4: an active event less than `h` after the previous
/// active event of the same sensor joins that sensor's current episode;
/// otherwise it opens a new one.
@Suite("Episodes")
struct EpisodeTests {
    static let ms: Int64 = 1_000_000

    static func event(_ sensor: String, _ state: EventState, at ts: Int64, id: String? = nil) -> Event {
        let id = id ?? "\(sensor)@\(ts)/\(state.rawValue)"
        return Event(
            id: id, box: "box", sector: "sector", sensor: sensor, kind: .pir, zone: "z", source: .gpio, state: state,
            ts: ts, episode: "")
    }

    /// Assigns every event in order; returns (episode, opened) per event.
    static func run(_ events: [Event], holdoffMs: Int64) -> [(episode: String, opened: Bool)] {
        var tracker = EpisodeTracker()
        return events.map { original in
            var event = original
            let opened = tracker.assign(&event, holdoffNs: holdoffMs * ms)
            return (event.episode, opened)
        }
    }

    @Test("the first active event opens an episode whose id is the event's id")
    func firstEventOpens() {
        let e = Self.event("pir-1", .active, at: 5 * Self.ms, id: "e-1")
        let result = Self.run([e], holdoffMs: 5000)
        #expect(result.map(\.episode) == ["e-1"])
        #expect(result.map(\.opened) == [true])
    }

    @Test("a chain of events each less than h apart is one episode, however long it lasts")
    func chainIsOneEpisode() {
        // h = 5 s; events every 4 s for 60 s span twelve hold-offs.
        let events = (0...15).map { Self.event("pir-1", .active, at: Int64($0) * 4_000 * Self.ms, id: "e\($0)") }
        let result = Self.run(events, holdoffMs: 5_000)
        #expect(result.map(\.episode) == Array(repeating: "e0", count: 16))
        #expect(result.map(\.opened) == [true] + Array(repeating: false, count: 15))
    }

    @Test("the hold-off is measured from the PREVIOUS active event, not the episode's first")
    func holdoffFromPrevious() {
        let events = [
            Self.event("s", .active, at: 0, id: "a"),
            Self.event("s", .active, at: 4_999 * Self.ms, id: "b"),
            Self.event("s", .active, at: 9_998 * Self.ms, id: "c"),  // 9.998 s after a, 4.999 s after b
            Self.event("s", .active, at: 14_998 * Self.ms, id: "d"),  // exactly h after c
        ]
        let result = Self.run(events, holdoffMs: 5_000)
        #expect(result.map(\.episode) == ["a", "a", "a", "d"])
        #expect(result.map(\.opened) == [true, false, false, true])
    }

    @Test("exactly h after the previous active event opens a new episode; h - 1 ns joins")
    func boundary() {
        let h: Int64 = 10_000 * Self.ms
        var tracker = EpisodeTracker()
        var a = Self.event("s", .active, at: 100, id: "a")
        var b = Self.event("s", .active, at: 100 + h - 1, id: "b")
        var c = Self.event("s", .active, at: 100 + h - 1 + h, id: "c")
        #expect(tracker.assign(&a, holdoffNs: h))
        #expect(!tracker.assign(&b, holdoffNs: h))
        #expect(tracker.assign(&c, holdoffNs: h))
        #expect([a.episode, b.episode, c.episode] == ["a", "a", "c"])
    }

    @Test("inactive events take the current episode and never open or extend one")
    func inactiveEvents() {
        let events = [
            Self.event("s", .active, at: 0, id: "a"),
            Self.event("s", .inactive, at: 1_000 * Self.ms, id: "a-off"),
            // 4.5 s after the inactive event but 5.5 s after the previous ACTIVE one.
            Self.event("s", .active, at: 5_500 * Self.ms, id: "b"),
            Self.event("s", .inactive, at: 60_000 * Self.ms, id: "b-off"),
        ]
        let result = Self.run(events, holdoffMs: 5_000)
        #expect(result.map(\.episode) == ["a", "a", "b", "b"])
        #expect(result.map(\.opened) == [true, false, true, false])
    }

    @Test("sensors have separate episodes")
    func perSensor() {
        let events = [
            Self.event("pir-1", .active, at: 0, id: "p1"),
            Self.event("pir-2", .active, at: 1 * Self.ms, id: "p2"),
            Self.event("pir-1", .active, at: 2 * Self.ms, id: "p1b"),
            Self.event("pir-2", .active, at: 6_000 * Self.ms, id: "p2b"),
        ]
        let result = Self.run(events, holdoffMs: 5_000)
        #expect(result.map(\.episode) == ["p1", "p2", "p1", "p2b"])
        #expect(result.map(\.opened) == [true, true, false, true])
    }

    @Test("h = 0: every active event opens its own episode, even at the same instant")
    func zeroHoldoff() {
        let events = [
            Self.event("s", .active, at: 10, id: "a"),
            Self.event("s", .active, at: 10, id: "b"),
            Self.event("s", .inactive, at: 11, id: "c"),
            Self.event("s", .active, at: 11, id: "d"),
        ]
        let result = Self.run(events, holdoffMs: 0)
        #expect(result.map(\.episode) == ["a", "b", "b", "d"])
        #expect(result.map(\.opened) == [true, true, false, true])
    }

    @Test(
        "a second active event opens a new episode exactly when the gap is >= h",
        arguments: [(1, false), (4_999, false), (5_000, true), (5_001, true), (60_000, true)])
    func gapOpens(gapMs: Int64, opensNew: Bool) {
        let result = Self.run(
            [Self.event("s", .active, at: 0, id: "a"), Self.event("s", .active, at: gapMs * Self.ms, id: "b")],
            holdoffMs: 5_000)
        #expect(result[1].opened == opensNew)
        #expect(result[1].episode == (opensNew ? "b" : "a"))
    }
}
