import PicketConfig
import PicketCore

extension SectorJSON {
    /// One subscriber as `picket sector subscribers list --json`, `GET
    /// /v1/subscribers` and the fleet page show it (PRODUCT.md 7a): `name`,
    /// `phone`, `zones`, `min_severity`, `quiet_hours` ("HH:MM-HH:MM" or
    /// null), `max_per_hour` (or null), `opted_out`.
    public static func subscriber(_ s: SectorSubscriber) -> String {
        var w = JSONWriter()
        w.string("name", s.subscriber.name)
        w.string("phone", s.subscriber.phone)
        w.strings("zones", s.subscriber.zones)
        w.string("min_severity", s.subscriber.minSeverity.rawValue)
        w.string("quiet_hours", s.subscriber.quietHours.map(SubscriberChecks.text))
        w.int("max_per_hour", s.subscriber.maxPerHour)
        w.bool("opted_out", s.optedOut)
        return w.finish()
    }

    /// Warnings about a subscriber's `box:zone` zones whose box the sector
    /// does not know (`knows`): kept, since the box may be added later,
    /// but worth saying, as a typo would leave the subscriber without texts.
    public static func unknownBoxWarnings(_ subscriber: Subscriber, knows: (String) -> Bool) -> [String] {
        subscriber.zones.compactMap { zone in
            guard let box = SubscriberChecks.box(ofSectorZone: zone), !knows(box) else { return nil }
            return "zone \(zone): box \(box) is not in the configuration's boxes; "
                + "the subscriber gets no texts for it until that box is added (check the spelling)"
        }
    }
}
