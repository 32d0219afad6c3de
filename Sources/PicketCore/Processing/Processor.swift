import DequeModule
import HeapModule

/// Everything between a raw input and a stored event or alert, with no I/O.
///
/// Fed raw inputs (times already UTC nanoseconds) and a watermark, it frames
/// and parses serial sentences, drops radio duplicates, debounces GPIO lines,
/// assigns episodes, evaluates rules and collects what the store must write.
/// The same processor runs live and in a replay, so a replay reproduces what
/// the field box did, ids included.
///
/// Debounced events are stamped with their burst's first edge but can only be
/// known `debounce_ms` later, so events pass through a small reorder stage:
/// they are released to episodes and rules in time order once the watermark
/// is past their time by the largest debounce window and no burst still open
/// began at or before their time. Rules therefore see episode openings in
/// the order they happened, not the order they were known, however long a
/// burst bounces: a replay follows PRODUCT.md to the letter. The live daemon
/// caps the wait (`liveBurstHoldNs`), so a line that chatters for minutes
/// cannot hold every other sensor's alerts back until it stops.
public struct Processor: Sendable {
    /// What the store must write after a batch.
    public struct Output: Sendable {
        public var events: [Event] = []
        public var alerts: [Alert] = []
        public var statuses: [SensorStatus] = []
        /// The box's latest GPS fix and its time.
        public var fix: (position: Position, ts: Int64)?
        /// The system clock's latest offset from GPS time (an RMC with date and time).
        public var clockOffset: ClockOffset?

        public init() {}

        public var isEmpty: Bool {
            events.isEmpty && alerts.isEmpty && statuses.isEmpty && fix == nil && clockOffset == nil
        }
    }

    /// A held event's place in the reorder stage: its time, its arrival
    /// order (which breaks ties) and the slot of `held` it waits in. The
    /// heap orders these plain values, not events: looking at its minimum,
    /// which `advance` does for every input, copies no strings, and sifting
    /// moves three integers instead of an event.
    struct Pending: Comparable, Sendable {
        var ts: Int64
        var order: Int
        var slot: Int

        static func < (a: Pending, b: Pending) -> Bool {
            a.ts != b.ts ? a.ts < b.ts : a.order < b.order
        }
        static func == (a: Pending, b: Pending) -> Bool { a.order == b.order }
    }

    /// Radio duplicate and loss tracking of one sensor.
    struct RadioState: Sendable {
        var lastSeq: Int?
        var recent: Deque<(seq: Int, ts: Int64)> = []
        var seen: [Int: Int64] = [:]
    }

    public static let duplicateWindowNs: Int64 = 60 * 1_000_000_000
    /// How long, live, an open burst may hold back later events beyond the
    /// debounce window. Contact bounce lasts milliseconds; a line that
    /// chatters for longer than this is faulty, and must not delay every
    /// other sensor's alerts until it stops.
    public static let liveBurstHoldNs: Int64 = 10_000_000_000

    public let configuration: PicketConfiguration
    private var sensorsByID: [String: SensorConfig] = [:]
    private var debouncer: Debouncer
    private var framers: [NMEAFramer]
    private var episodes = EpisodeTracker()
    private var rules: RuleEngine
    private var radio: [String: RadioState] = [:]
    private var ordinals: [String: (ts: Int64, next: Int)] = [:]
    private var pending = Heap<Pending>()
    /// The events in the reorder stage, by slot; nil in a free slot.
    private var held: [Event?] = []
    private var freeSlots: [Int] = []
    private var pendingOrder = 0
    private let reorderNs: Int64
    /// nil: no cap (a replay); else `liveBurstHoldNs` or a test's value.
    private let burstHoldNs: Int64?
    private var lastFix: Position?
    /// GPS fixes by time, kept until no event still to be released can
    /// precede them: an event without a position of its own takes the last
    /// fix at or before its time, whatever order the sources were drained in.
    private var fixes = Deque<(ts: Int64, position: Position)>()
    /// Health checks (`health:`), when any is configured.
    private var health: HealthMonitor?
    public private(set) var counters = ProcessorCounters()
    private var output = Output()
    /// The latest watermark; inputs are never older than what it closed.
    public private(set) var watermark = Int64.min

    /// - Parameter burstHoldNs: how long an open burst may hold later events
    ///   back beyond the debounce window; nil (a replay) waits for it to close.
    public init(configuration: PicketConfiguration, burstHoldNs: Int64? = nil) {
        self.configuration = configuration
        self.burstHoldNs = burstHoldNs
        for sensor in configuration.allSensors { sensorsByID[sensor.id] = sensor }
        debouncer = Debouncer(
            windowsNs: configuration.gpio.map { Int64($0.debounceMs) * 1_000_000 },
            activeHigh: configuration.gpio.map { $0.active == .high })
        framers = Array(repeating: NMEAFramer(), count: configuration.serial.count)
        rules = RuleEngine(configuration: configuration)
        if !configuration.health.isEmpty {
            health = HealthMonitor(configuration: configuration, settings: configuration.health)
        }
        reorderNs = Int64(configuration.gpio.map(\.debounceMs).max() ?? 0) * 1_000_000
    }

    /// Takes what has been produced since the last call.
    public mutating func takeOutput() -> Output {
        defer { output = Output() }
        return output
    }

    /// Handles one raw input. Call `advance(to:)` with the input's time first.
    public mutating func handle(_ input: RawInput) {
        switch input.kind {
        case .edge:
            counters.edges += 1
            let line = Int(input.source)
            guard line < debouncer.lineCount else { return }
            var flips: [Debouncer.Flip] = []
            debouncer.edge(line: line, rising: input.rising, at: input.t) { flips.append($0) }
            for flip in flips { enqueue(gpioEvent(flip)) }
        case .serial:
            if !input.continues { counters.serialChunks += 1 }
            counters.serialBytes += Int(input.count)
            let port = Int(input.source)
            guard port < framers.count else { return }
            let t = input.t
            // Copied out and back so the frame callback may mutate `self`:
            // a framer is a plain value (its buffer is inline), so this is
            // two copies of a few hundred bytes and no reference counting.
            var framer = framers[port]
            input.withBytes { bytes in
                framer.feed(bytes) { body in sentence(body, t: t) }
            }
            framers[port] = framer
        case .serialGap:
            counters.serialGaps += 1
            let port = Int(input.source)
            guard port < framers.count else { return }
            framers[port].reset()
        }
    }

    /// Moves time to `t`: closes debounce windows that ended by then and
    /// releases events that can no longer be overtaken.
    public mutating func advance(to t: Int64) {
        if t > watermark { watermark = t }
        // The rare parts live in functions of their own: this runs for
        // every input, and most inputs (a GPS's sentences) close no burst.
        if health != nil { advanceHealth() }
        if debouncer.isDue(at: watermark) { closeDueBursts() }
        // Every input before the watermark has been handled (one at the
        // watermark itself may still come) and the windows due by then are
        // closed: a flip still to come is stamped at or after the earliest
        // open burst's first edge, any other event at or after the
        // watermark. So what precedes both is final, in time order. A burst
        // that bounces for longer than its window holds back what it may
        // still precede (live, for at most `burstHoldNs` past its window).
        let limit = min(watermark == .min ? .min : watermark - 1, debouncer.earliestOpenBurst &- 1)
        let upTo = burstHoldNs.map { max(watermark &- reorderNs &- $0, limit) } ?? limit
        // With no event held only the fixes no event can take any more go.
        if pending.isEmpty { forgetFixes(before: upTo) } else { release(upTo: upTo) }
    }

    @inline(never)
    private mutating func advanceHealth() {
        var raised: [Alert] = []
        health?.advance(to: watermark) { raised.append($0) }
        for alert in raised { emitAlert(alert) }
    }

    @inline(never)
    private mutating func closeDueBursts() {
        var flips: [Debouncer.Flip] = []
        debouncer.advance(to: watermark) { flips.append($0) }
        for flip in flips { enqueue(gpioEvent(flip)) }
    }

    /// Ends the input: open debounce windows complete as if time went on, and
    /// every held event is released.
    public mutating func finish() {
        var flips: [Debouncer.Flip] = []
        debouncer.finish { flips.append($0) }
        for flip in flips { enqueue(gpioEvent(flip)) }
        release(upTo: .max)
        syncCounters()
    }

    /// Copies the framers' and debouncer's own counters into `counters`.
    public mutating func syncCounters() {
        var framing = FramerCounters()
        for framer in framers { framing += framer.counters }
        counters.framing = framing
        for (index, line) in configuration.gpio.enumerated() where debouncer.glitches[index] > 0 {
            counters.glitches[line.sensor.id] = debouncer.glitches[index]
        }
    }

    /// The box's last GPS fix, if any.
    public var boxPosition: Position? { lastFix }

    /// Whether events, alerts or statuses wait for `takeOutput()`.
    public var hasOutput: Bool {
        !output.events.isEmpty || !output.alerts.isEmpty || !output.statuses.isEmpty
    }

    /// GPS fixes kept for events still to be released (a handful).
    public var heldFixes: Int { fixes.count }

    /// Gives back what a storm grew: the reorder stage's and the fixes'
    /// storage are made again at the size they hold now (the live hot path
    /// calls it once the storm is over).
    public mutating func releaseMemory() {
        var keys: [Pending] = []
        keys.reserveCapacity(pending.count)
        var events: [Event?] = []
        events.reserveCapacity(pending.count)
        for key in pending.unordered {
            keys.append(Pending(ts: key.ts, order: key.order, slot: events.count))
            events.append(held[key.slot])
        }
        pending = Heap(keys)
        held = events
        freeSlots = []
        var kept: [(ts: Int64, position: Position)] = []
        kept.reserveCapacity(fixes.count)
        kept.append(contentsOf: fixes)
        fixes = Deque(kept)
        if output.isEmpty { output = Output() }
    }

    /// Nothing waits for time to pass: no debounce window is open and no
    /// event is held in the reorder stage. Live, the hot path then sleeps
    /// until an input comes (or a slow timer for the health checks), instead
    /// of turning twenty times a second.
    public var isQuiescent: Bool { pending.isEmpty && debouncer.earliestOpenBurst == Int64.max }

    /// The system clock's last measured offset from GPS time, if any.
    public private(set) var lastClockOffset: ClockOffset?

    // MARK: - Events

    private mutating func gpioEvent(_ flip: Debouncer.Flip) -> Event {
        let sensor = configuration.gpio[flip.line].sensor
        return makeEvent(sensor: sensor.id, config: sensor, source: .gpio, state: flip.state, ts: flip.ts)
    }

    private mutating func makeEvent(
        sensor id: String, config: SensorConfig?, source: EventSource, state: EventState, ts: Int64
    ) -> Event {
        var ordinal = 0
        if let last = ordinals[id], last.ts == ts { ordinal = last.next }
        ordinals[id] = (ts, ordinal + 1)
        let eventID = Identifier.event(
            box: configuration.box, sensor: id, source: source, state: state, ts: ts, ordinal: ordinal)
        return Event(
            id: eventID, box: configuration.box, sector: configuration.sector, sensor: id,
            kind: config?.kind ?? .unknown, zone: config?.zone, source: source, state: state, ts: ts,
            episode: eventID, position: config?.position ?? lastFix ?? configuration.site,
            tags: config?.tags ?? [:])
    }

    /// The last fix at or before `ts`. Releases come in time order, so fixes
    /// older than the one found are no longer needed.
    private mutating func fix(at ts: Int64) -> Position? {
        while fixes.count >= 2, fixes[1].ts <= ts { fixes.removeFirst() }
        guard let first = fixes.first, first.ts <= ts else { return nil }
        return first.position
    }

    /// Free bytes beside the database (the live daemon measures them).
    public mutating func disk(freeBytes: Int64, at t: Int64) {
        var raised: [Alert] = []
        health?.disk(freeBytes: freeBytes, at: t) { raised.append($0) }
        for alert in raised { emitAlert(alert) }
    }

    private mutating func emitAlert(_ alert: Alert) {
        counters.alertsByRule[alert.rule, default: 0] += 1
        output.alerts.append(alert)
    }

    private mutating func enqueue(_ event: Event) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            held[slot] = event
        } else {
            slot = held.count
            held.append(event)
        }
        pending.insert(Pending(ts: event.ts, order: pendingOrder, slot: slot))
        pendingOrder += 1
    }

    private mutating func release(upTo limit: Int64) {
        while let next = pending.min, next.ts <= limit {
            pending.removeMin()
            guard var event = held[next.slot].take() else { continue }
            freeSlots.append(next.slot)
            if event.source != .report, sensorsByID[event.sensor]?.position == nil {
                event.position = fix(at: event.ts) ?? configuration.site
            }
            let holdoff = Int64(sensorsByID[event.sensor]?.holdoffMs ?? 0) * 1_000_000
            // A report is its own episode, even one released late (older than the last one).
            let opened = event.source == .report || episodes.assign(&event, holdoffNs: holdoff)
            counters.events += 1
            counters.eventsBySensor[.init(sensor: event.sensor, state: event.state), default: 0] += 1
            output.events.append(event)
            guard opened else { continue }
            counters.episodes += 1
            for alert in rules.episodeOpened(event) {
                counters.alertsByRule[alert.rule, default: 0] += 1
                output.alerts.append(alert)
            }
        }
        forgetFixes(before: limit)
    }

    /// Drops the fixes no event still to come can take: every one before
    /// the last fix at or before the earliest time such an event can have
    /// (a held event, an open burst's flip, anything after `limit`). Without
    /// it a GPS with no events to position (a quiet trail, a storm of
    /// fixes) would grow the list without bound.
    private mutating func forgetFixes(before limit: Int64) {
        guard fixes.count >= 2 else { return }
        let next = limit == .max ? Int64.max : limit + 1
        let earliest = min(pending.min?.ts ?? .max, debouncer.earliestOpenBurst, next)
        while fixes.count >= 2, fixes[1].ts <= earliest { fixes.removeFirst() }
    }

    // MARK: - Reports

    /// Takes a hotline report (the event `picket report` stored) into
    /// episodes and rules. It waits in the reorder stage like any event and
    /// is released in time order, opening an episode of its own (hold-off 0).
    /// A report older than what has already been released (entered while no
    /// daemon ran, or read late) goes out at the next `advance`, after the
    /// events it is older than: rules see it in arrival order, so a
    /// `sequence` it would have completed had it come on time may not fire.
    public mutating func report(_ event: Event) {
        var event = event
        event.episode = event.id
        counters.reports += 1
        enqueue(event)
    }

    // MARK: - Sentences

    private mutating func sentence(_ body: UnsafeRawBufferPointer, t: Int64) {
        switch SentenceParser.parse(body) {
        case .failure:
            counters.invalidSentences += 1
        case .success(let sentence):
            switch sentence {
            case .detection(let sensor, let seq, let detectionClass, let strength):
                guard acceptRadio(sensor: sensor, seq: seq, t: t) else { return }
                var event = radioEvent(sensor: sensor, t: t)
                event.detectionClass = detectionClass.rawValue
                event.strength = strength
                enqueue(event)
            case .capture(let camera, let seq, _, let imageRef):
                guard acceptRadio(sensor: camera, seq: seq, t: t) else { return }
                var event = radioEvent(sensor: camera, t: t)
                event.imageRef = imageRef
                enqueue(event)
            case .status(let sensor, let batteryMv, let tempC, let tamper):
                counters.statuses += 1
                if sensorsByID[sensor] == nil { counters.unknownSensorSentences[sensor, default: 0] += 1 }
                let status = SensorStatus(sensor: sensor, ts: t, batteryMv: batteryMv, tempC: tempC, tamper: tamper)
                output.statuses.append(status)
                if health != nil {
                    var raised: [Alert] = []
                    health?.heartbeat(status) { raised.append($0) }
                    for alert in raised { emitAlert(alert) }
                }
            case .fix(let fix):
                counters.fixes += 1
                lastFix = fix.position
                output.fix = (fix.position, t)
                // Sorted by time: fixes from two ports may come in either order.
                if let last = fixes.last, last.ts > t {
                    let at = fixes.lastIndex { $0.ts <= t }.map { $0 + 1 } ?? 0
                    fixes.insert((t, fix.position), at: at)
                } else {
                    fixes.append((t, fix.position))
                }
                health?.fix(at: t)
                if let gps = ClockOffset.gpsTime(fix) {
                    let offset = ClockOffset(offsetNs: t &- gps, ts: t)
                    output.clockOffset = offset
                    lastClockOffset = offset
                    if health != nil {
                        var raised: [Alert] = []
                        health?.clock(offset) { raised.append($0) }
                        for alert in raised { emitAlert(alert) }
                    }
                }
            case .noFix, .other:
                counters.ignoredSentences += 1
            }
        }
    }

    private mutating func radioEvent(sensor: String, t: Int64) -> Event {
        let config = sensorsByID[sensor]
        if config == nil { counters.unknownSensorSentences[sensor, default: 0] += 1 }
        return makeEvent(sensor: sensor, config: config, source: .serial, state: .active, ts: t)
    }

    /// Drops a repeat of the same sensor and `seq` within 60 s and counts
    /// lost messages from jumps in `seq` (PRODUCT.md section 3).
    private mutating func acceptRadio(sensor: String, seq: Int, t: Int64) -> Bool {
        var state = radio[sensor] ?? RadioState()
        defer { radio[sensor] = state }
        while let oldest = state.recent.first, t &- oldest.ts > Self.duplicateWindowNs {
            state.recent.removeFirst()
            if state.seen[oldest.seq] == oldest.ts { state.seen[oldest.seq] = nil }
        }
        if let seen = state.seen[seq], t &- seen <= Self.duplicateWindowNs {
            counters.duplicates[sensor, default: 0] += 1
            return false
        }
        if let last = state.lastSeq {
            let gap = ((seq - last - 1) % 65536 + 65536) % 65536
            if gap > 0 { counters.lost[sensor, default: 0] += gap }
        }
        state.lastSeq = seq
        state.seen[seq] = t
        state.recent.append((seq, t))
        return true
    }
}
