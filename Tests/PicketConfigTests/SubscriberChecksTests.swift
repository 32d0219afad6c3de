import PicketConfig
import PicketCore
import Testing

/// The subscriber checks the box's `hotline.subscribers` and the sector's
/// list share (`SubscriberChecks`): each field's rule once.
@Suite struct SubscriberChecksTests {
    @Test(arguments: ["22:00-06:00", "00:00-23:59", "06:30-07:05"])
    func quietHoursReadBackAsWritten(_ text: String) throws {
        #expect(SubscriberChecks.text(try SubscriberChecks.quietHours(text)) == text)
    }

    @Test(arguments: ["22:00", "22-06", "24:00-06:00", "6:00-07:00", "06:60-07:00", "06:00-06:00", "a:bc-de:fg"])
    func badQuietHoursAreRefused(_ text: String) {
        #expect(throws: SubscriberChecks.Problem.self) { try SubscriberChecks.quietHours(text) }
    }

    @Test func sectorZones() throws {
        #expect(try SubscriberChecks.sectorZone("north-fork") == "north-fork")
        #expect(try SubscriberChecks.sectorZone("ridge-01:north fork") == "ridge-01:north fork")
        #expect(SubscriberChecks.box(ofSectorZone: "ridge-01:gate") == "ridge-01")
        #expect(SubscriberChecks.box(ofSectorZone: "gate") == nil)
        for bad in ["", " north", "a,b", ":gate", "ridge-01:", "bad box:gate", "ridge-01: gate", "n\u{0}"] {
            #expect(throws: SubscriberChecks.Problem.self, "\(bad)") { try SubscriberChecks.sectorZone(bad) }
        }
    }

    /// The first bad field is named with its value; defaults when optional fields are absent.
    @Test func aSubscriberNamesItsFirstBadField() throws {
        let plain = try SubscriberChecks.sectorSubscriber(
            name: "N", phone: "+18025550100", zones: ["a", "a", "b"], minSeverity: nil, quietHours: nil,
            maxPerHour: nil)
        #expect(plain == Subscriber(name: "N", phone: "+18025550100", zones: ["a", "b"], minSeverity: .low))
        do {
            _ = try SubscriberChecks.sectorSubscriber(
                name: "N", phone: "+18025550100", zones: ["a"], minSeverity: "high", quietHours: "late",
                maxPerHour: 0)
            Issue.record("accepted quiet hours \"late\"")
        } catch {
            #expect(error.field == "quiet_hours")
            #expect(error.value == "late")
            #expect(error.problem.expectation == SubscriberChecks.quietHoursExpectation)
        }
        #expect(throws: SubscriberChecks.FieldProblem.self) {
            try SubscriberChecks.sectorSubscriber(
                name: "N", phone: "+18025550100", zones: [], minSeverity: nil, quietHours: nil, maxPerHour: nil)
        }
    }

}
