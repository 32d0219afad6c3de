/// Groups each sensor's active events into episodes (PRODUCT.md section 4).
///
/// An active event less than `holdoff_ms` after the *previous active event*
/// of the same sensor joins the current episode; otherwise it opens a new one,
/// whose id is the opening event's id. Inactive events belong to the episode
/// that is current when they happen. Events of one sensor must arrive in time
/// order (the processor guarantees it).
public struct EpisodeTracker: Sendable {
    struct SensorState: Sendable {
        var lastActive: Int64
        var episode: String
    }

    private var states: [String: SensorState] = [:]

    public init() {}

    /// Assigns `event` its episode. Returns true when the event opens a new episode.
    public mutating func assign(_ event: inout Event, holdoffNs: Int64) -> Bool {
        let previous = states[event.sensor]
        guard event.state == .active else {
            event.episode = previous?.episode ?? event.id
            return false
        }
        if let previous, event.ts &- previous.lastActive < holdoffNs {
            event.episode = previous.episode
            states[event.sensor] = SensorState(lastActive: event.ts, episode: previous.episode)
            return false
        }
        event.episode = event.id
        states[event.sensor] = SensorState(lastActive: event.ts, episode: event.id)
        return true
    }
}
