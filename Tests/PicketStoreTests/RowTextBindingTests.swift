import PicketCore
import PicketStore
import Testing

/// Event and alert rows bind their texts from the statement's own row
/// buffer, which SQLite reads in place (SQLITE_STATIC, issue 11). A row must
/// never see bytes of the row before it, and a text that does not fit the
/// buffer (4096 bytes) is bound as a copy.
@Suite("Row text binding")
struct RowTextBindingTests {
    static let t0: Int64 = 1_780_629_120_000_000_000

    static func event(_ index: Int, sensor: String, note: String?, imageRef: String?, tags: [String: String]) -> Event {
        let ts = t0 + Int64(index) * 1_000_000_000
        let id = Identifier.event(box: "b", sensor: sensor, source: .serial, state: .active, ts: ts, ordinal: 0)
        return Event(
            id: id, box: "b", sector: "s", sensor: sensor, kind: .unknown, zone: index % 3 == 0 ? nil : "zone-\(index)",
            source: .serial, state: .active, ts: ts, episode: id, detectionClass: index % 2 == 0 ? "FOOT" : nil,
            imageRef: imageRef, tags: tags, note: note)
    }

    @Test("rows long and short, in one batch and the next, read back exactly; texts past the buffer too")
    func rowsReadBackExactly() throws {
        let database = try TemporaryDatabase("picket-row-text")
        let store = try Store(path: database.path)
        let long = String(repeating: "grey pickup heading north, ", count: 120)  // 3240 bytes: fills most of the buffer
        let events = [
            Self.event(
                0, sensor: "a-very-long-sensor-name-" + String(repeating: "x", count: 200), note: long,
                imageRef: "IMG_0001.JPG", tags: ["trail": "north-fork"]),
            // Shorter than the row before: no byte of that row may show through.
            Self.event(1, sensor: "s", note: "", imageRef: nil, tags: [:]),
            // Past what is left of the buffer (the note takes most of it): the image is bound as a copy.
            Self.event(2, sensor: "cam-1", note: long, imageRef: String(repeating: "é", count: 600), tags: ["a": "b"]),
            // A single text larger than the whole buffer.
            Self.event(
                3, sensor: "seis-7", note: String(repeating: "🌲", count: 1500), imageRef: nil,
                tags: ["trail": "north-fork"]),
            Self.event(4, sensor: "s", note: nil, imageRef: "x", tags: ["trail": "north-fork"]),
        ]
        try store.write(StoreBatch(events: Array(events.prefix(3))), run: "r", now: Self.t0)
        try store.write(StoreBatch(events: Array(events.dropFirst(3))), run: "r", now: Self.t0)
        let alerts = events.enumerated().map { index, event in
            Alert(
                id: Identifier.alert(box: "b", rule: "r\(index)", zone: event.zone, events: [event.id], ts: event.ts),
                rule: "r\(index)", severity: .low, box: "b", sector: "s", zone: event.zone, firstTs: event.ts,
                lastTs: event.ts, direction: index == 1 ? "north" : nil, events: [event.id], position: nil,
                summary: event.note ?? "")
        }
        try store.write(StoreBatch(alerts: alerts), run: "r", now: Self.t0)

        var stored: [Event] = []
        try store.forEachEvent(RowQuery(order: .stored)) { stored.append($0) }
        #expect(stored == events)
        var storedAlerts: [Alert] = []
        try store.forEachAlert(RowQuery(order: .stored)) { alert, _ in storedAlerts.append(alert.alert) }
        #expect(storedAlerts == alerts)
    }
}
