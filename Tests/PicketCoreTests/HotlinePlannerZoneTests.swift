import PicketCore
import Testing

/// A sector's subscriber names a zone as `box:zone` (one box's) or by name
/// (any box's); one matcher for box and sector (PRODUCT.md 7a).
@Suite struct HotlinePlannerZoneTests {
    static func alert(box: String, zone: String?, _ severity: Severity = .high) -> Alert {
        Alert(
            id: "a", rule: "crossing", severity: severity, box: box, sector: "swanton", zone: zone, firstTs: 0,
            lastTs: 0, direction: nil, events: [], position: nil, summary: "")
    }

    static let cases: [(zones: [String], box: String, zone: String?, severity: Severity, expected: Bool)] = [
        (["ridge-01:north-fork"], "ridge-01", "north-fork", .high, true),
        (["ridge-01:north-fork"], "ford-02", "north-fork", .high, false),
        (["ridge-01:north-fork"], "ridge-01", "south-gate", .high, false),
        (["ridge-01:north-fork"], "ridge-01", "north-fork", .low, false),
        (["ridge-01:north-fork"], "ridge-01", nil, .critical, false),
        (["north-fork"], "ford-02", "north-fork", .high, true),
        (["ford-02:gate", "north-fork"], "ridge-01", "north-fork", .medium, true),
        (["ridge-01"], "ridge-01", "north-fork", .high, false),
    ]

    @Test(arguments: cases)
    func boxAndZoneOrZoneName(
        _ c: (zones: [String], box: String, zone: String?, severity: Severity, expected: Bool)
    ) {
        let subscriber = Subscriber(name: "Ann", phone: "+18025550101", zones: c.zones, minSeverity: .medium)
        #expect(HotlinePlanner.matches(Self.alert(box: c.box, zone: c.zone, c.severity), subscriber) == c.expected)
    }
}
