/// What an alert saw, in the words a landowner uses (PRODUCT.md section 7):
/// "someone on foot", "a vehicle", "motion".
///
/// Decided from the alert's events, then its rule's name:
/// 1. a detection class among the events (`$PGSD` from a ground sensor, or a
///    hotline report's class): `VEH` a vehicle, else `FOOT` someone on foot,
///    else `ANIM` an animal (the first of these that any event carries, so a
///    crossing of a walker and a car says "a vehicle");
/// 2. else words in the rule's name, as the hotline reads a landowner's text
///    (section 7a): foot, footsteps, walking, person, people; car, truck,
///    vehicle; deer, animal;
/// 3. else a hotline report without a class is "a reported sighting";
/// 4. else (PIR, beams, magnetic, a camera, `UNK`) "motion".
public enum Sighting: String, Sendable, CaseIterable {
    case vehicle, foot, animal, reported, motion

    /// The words a text uses.
    public var words: String {
        switch self {
        case .vehicle: "a vehicle"
        case .foot: "someone on foot"
        case .animal: "an animal"
        case .reported: "a reported sighting"
        case .motion: "motion"
        }
    }

    /// What `alert` saw, from `events` (its own, in any order; those not
    /// found may be missing).
    public static func of(_ alert: Alert, events: [Event]) -> Sighting {
        let classes = Set(events.compactMap { $0.detectionClass?.uppercased() })
        for (code, sighting) in [("VEH", Sighting.vehicle), ("FOOT", .foot), ("ANIM", .animal)]
        where classes.contains(code) {
            return sighting
        }
        if let named = named(alert.rule) { return named }
        if events.contains(where: { $0.source == .report }) { return .reported }
        return .motion
    }

    /// The detection class a landowner's text speaks of (PRODUCT.md 7a), by
    /// the same words as a rule's name: `VEH`, `FOOT`, `ANIM`, else `UNK`.
    public static func detectionClass(ofText text: String) -> DetectionClass {
        switch named(text) {
        case .vehicle: .vehicle
        case .foot: .foot
        case .animal: .animal
        default: .unknown
        }
    }

    /// The sighting a rule's name speaks of (`footsteps`, `vehicle-gate`), if any.
    static func named(_ rule: String) -> Sighting? {
        let words = rule.lowercased().split { !($0.isASCII && $0.isLetter) }.map(String.init)
        let lexicon: [(Sighting, Set<String>)] = [
            (.vehicle, ["car", "cars", "truck", "trucks", "vehicle", "vehicles", "veh"]),
            (.foot, ["foot", "footstep", "footsteps", "walking", "walker", "walkers", "person", "people"]),
            (.animal, ["deer", "animal", "animals", "anim", "wildlife"]),
        ]
        for (sighting, names) in lexicon where words.contains(where: { names.contains($0) }) { return sighting }
        return nil
    }
}
