import PicketCore
import Testing

/// The processor end to end, from raw inputs to events, statuses and alerts
/// (PRODUCT.md sections 3 to 5).
@Suite("Processor")
struct ProcessorTests {
    static let ms: Int64 = 1_000_000
    static let s: Int64 = 1_000_000_000
    /// 2026-06-05T03:12:00Z, the example recording's `started_utc`.
    static let t0: Int64 = 1_780_629_120 * s

    static let site = Position(lat: 44.9925, lon: -73.1098)
    static let pirPosition = Position(lat: 44.9931, lon: -73.1102)
    static let camPosition = Position(lat: 44.9940, lon: -73.1111)

    static func configuration(rules: [RuleConfig] = [], site: Position? = site) -> PicketConfiguration {
        PicketConfiguration(
            box: "swanton-07", sector: "swanton", site: site,
            gpio: [
                GPIOLineConfig(
                    chip: "gpiochip0", line: 17,
                    sensor: SensorConfig(
                        id: "pir-1", kind: .pir, zone: "north-fork", holdoffMs: 5000, severity: .low,
                        position: pirPosition, tags: ["trail": "north-fork"]),
                    active: .high, debounceMs: 30)
            ],
            serial: [SerialPortConfig(port: "/dev/ttyUSB0", baud: 9600)],
            sensors: [
                SensorConfig(
                    id: "seis-7", kind: .seismic, zone: "north-fork", holdoffMs: 10000, tags: ["depth": "30cm"]),
                SensorConfig(id: "cam-2", kind: .camera, zone: "gate", position: camPosition),
            ],
            rules: rules)
    }

    /// `$body*hh\r\n` with the NMEA checksum (XOR of the bytes between `$` and `*`).
    static func frame(_ body: String) -> String {
        let checksum = body.utf8.reduce(UInt8(0)) { $0 ^ $1 }
        let hex = String(checksum, radix: 16, uppercase: true)
        return "$" + body + "*" + (hex.count == 1 ? "0" + hex : hex) + "\r\n"
    }

    /// Drives a processor the way the pipeline does and keeps all its output.
    struct Harness {
        var processor: Processor
        var events: [Event] = []
        var alerts: [Alert] = []
        var statuses: [SensorStatus] = []
        var fixes: [(position: Position, ts: Int64)] = []

        init(_ configuration: PicketConfiguration, burstHoldNs: Int64? = nil) {
            processor = Processor(configuration: configuration, burstHoldNs: burstHoldNs)
        }

        mutating func input(_ input: RawInput) {
            processor.advance(to: input.t)
            processor.handle(input)
            collect()
        }

        mutating func edge(line: Int = 0, rising: Bool, at t: Int64) {
            input(.edge(line: line, rising: rising, t: t))
        }

        mutating func serial(_ text: String, port: Int = 0, at t: Int64) {
            var records: [RawInput] = []
            Array(text.utf8).withUnsafeBytes { bytes in
                RawInput.serial(port: port, t: t, bytes: bytes) { records.append($0) }
            }
            for record in records { input(record) }
        }

        mutating func sentence(_ body: String, port: Int = 0, at t: Int64) {
            serial(ProcessorTests.frame(body), port: port, at: t)
        }

        mutating func gap(port: Int = 0, at t: Int64) {
            input(.gap(port: port, t: t))
        }

        mutating func advance(to t: Int64) {
            processor.advance(to: t)
            collect()
        }

        mutating func finish() {
            processor.finish()
            collect()
        }

        mutating func collect() {
            let output = processor.takeOutput()
            events += output.events
            alerts += output.alerts
            statuses += output.statuses
            if let fix = output.fix { fixes.append(fix) }
        }
    }

    @Test("the frame helper matches PRODUCT.md's example checksum")
    func frameHelper() {
        #expect(Self.frame("PGSD,seis-7,12,FOOT,64") == "$PGSD,seis-7,12,FOOT,64*05\r\n")
    }

    // MARK: Events

    @Test("a $PGSD becomes one active serial event with everything section 4 lists")
    func detectionEvent() throws {
        var h = Harness(Self.configuration())
        let t = Self.t0 + 2 * Self.ms
        h.sentence("PGSD,seis-7,12,FOOT,64", at: t)
        h.finish()
        let event = try #require(h.events.first)
        #expect(h.events.count == 1)
        #expect(event.box == "swanton-07")
        #expect(event.sector == "swanton")
        #expect(event.sensor == "seis-7")
        #expect(event.kind == .seismic)
        #expect(event.zone == "north-fork")
        #expect(event.source == .serial)
        #expect(event.state == .active)
        #expect(event.ts == t)
        #expect(event.episode == event.id)
        #expect(event.detectionClass == "FOOT")
        #expect(event.strength == 64)
        #expect(event.imageRef == nil)
        #expect(event.tags == ["depth": "30cm"])
        // No lat/lon of its own and no GPS fix yet: the site.
        #expect(event.position == Self.site)
        #expect(
            event.id
                == Identifier.event(
                    box: "swanton-07", sensor: "seis-7", source: .serial, state: .active, ts: t, ordinal: 0))
    }

    @Test("a $PCAM becomes an active event carrying image_ref")
    func captureEvent() throws {
        var h = Harness(Self.configuration())
        h.sentence("PCAM,cam-2,7,PIR,IMG_0042.JPG", at: Self.t0 + Self.s)
        h.finish()
        let event = try #require(h.events.first)
        #expect(h.events.count == 1)
        #expect(event.kind == .camera)
        #expect(event.imageRef == "IMG_0042.JPG")
        #expect(event.detectionClass == nil)
        #expect(event.strength == nil)
        #expect(event.state == .active)
        #expect(event.position == Self.camPosition)
    }

    @Test("GPIO: a debounced flip is an event stamped at the burst's first edge, with tags and position")
    func gpioEvent() throws {
        var h = Harness(Self.configuration())
        let t = Self.t0 + 1 * Self.s
        h.edge(rising: true, at: t)
        h.edge(rising: false, at: t + 3 * Self.ms)
        h.edge(rising: true, at: t + 5 * Self.ms)
        h.edge(rising: false, at: t + 2 * Self.s)
        h.finish()
        #expect(h.events.map(\.state) == [.active, .inactive])
        #expect(h.events.map(\.ts) == [t, t + 2 * Self.s])
        let on = try #require(h.events.first)
        #expect(on.source == .gpio)
        #expect(on.sensor == "pir-1")
        #expect(on.kind == .pir)
        #expect(on.tags == ["trail": "north-fork"])
        #expect(on.position == Self.pirPosition)
        #expect(on.detectionClass == nil)
        #expect(h.events.map(\.episode) == [on.id, on.id])
        // pir-1 has severity low: one detection alert for its one episode.
        #expect(h.alerts.map(\.rule) == ["detection"])
        #expect(h.alerts.first?.events == [on.id])
    }

    @Test("a $PGSS is a status, not an event")
    func statusIsNotEvent() {
        var h = Harness(Self.configuration())
        let t = Self.t0 + 4 * Self.s
        h.sentence("PGSS,seis-7,3612,-4.5,1", at: t)
        h.finish()
        #expect(h.events.isEmpty)
        #expect(h.alerts.isEmpty)
        #expect(h.statuses == [SensorStatus(sensor: "seis-7", ts: t, batteryMv: 3612, tempC: -4.5, tamper: true)])
        #expect(h.processor.counters.statuses == 1)
        #expect(h.processor.counters.events == 0)
    }

    @Test("a sentence's time is the time of the read that delivered its line feed")
    func sentenceTimeIsLineFeedRead() {
        var h = Harness(Self.configuration())
        let text = Self.frame("PGSD,seis-7,12,FOOT,64")
        let split = text.index(text.startIndex, offsetBy: 10)
        h.serial(String(text[..<split]), at: Self.t0 + 1 * Self.s)
        h.serial(String(text[split...]), at: Self.t0 + 1 * Self.s + 7 * Self.ms)
        h.finish()
        #expect(h.events.map(\.ts) == [Self.t0 + 1 * Self.s + 7 * Self.ms])
    }

    // MARK: Radio

    @Test("radio: a repeat of the same sensor and seq within 60 s is dropped and counted")
    func duplicates() {
        var h = Harness(Self.configuration())
        h.sentence("PGSD,seis-7,12,FOOT,64", at: Self.t0)
        h.sentence("PGSD,seis-7,12,FOOT,64", at: Self.t0 + 1 * Self.ms)
        h.sentence("PGSD,seis-7,12,FOOT,64", at: Self.t0 + 59 * Self.s)
        // The same seq from another sensor is not a duplicate.
        h.sentence("PCAM,cam-2,12,TIMER,IMG_1.JPG", at: Self.t0 + 59 * Self.s)
        h.sentence("PCAM,cam-2,12,TIMER,IMG_1.JPG", at: Self.t0 + 59 * Self.s + 1)
        h.finish()
        #expect(h.events.map(\.sensor) == ["seis-7", "cam-2"])
        #expect(h.processor.counters.duplicates == ["seis-7": 2, "cam-2": 1])
        #expect(h.processor.counters.lost == [:])
    }

    @Test("radio: the same seq more than 60 s later is accepted")
    func repeatAfterWindowAccepted() {
        var h = Harness(Self.configuration())
        h.sentence("PGSD,seis-7,12,FOOT,64", at: Self.t0)
        h.sentence("PGSD,seis-7,12,VEH,80", at: Self.t0 + 60 * Self.s + 1)
        h.finish()
        #expect(h.events.map(\.detectionClass) == ["FOOT", "VEH"])
        #expect(h.processor.counters.duplicates == [:])
        // (12 - 12 - 1) mod 65536, as PRODUCT.md section 3 defines it.
        #expect(h.processor.counters.lost == ["seis-7": 65535])
    }

    @Test(
        "radio: lost = (seq - previous accepted seq - 1) mod 65536",
        arguments: [
            ([100, 101, 102], 0),
            ([100, 105], 4),
            ([65535, 0], 0),
            ([65534, 2], 3),
            ([65535, 0, 1, 10], 8),
            ([7, 3], 65531),
        ])
    func lost(seqs: [Int], expected: Int) {
        var h = Harness(Self.configuration())
        for (i, seq) in seqs.enumerated() {
            h.sentence("PGSD,seis-7,\(seq),UNK,1", at: Self.t0 + Int64(i) * Self.s)
        }
        h.finish()
        #expect(h.events.count == seqs.count)
        #expect(h.processor.counters.lost["seis-7", default: 0] == expected)
    }

    @Test("radio: a duplicate is not the previous accepted seq for loss counting")
    func duplicateDoesNotMoveSeq() {
        var h = Harness(Self.configuration())
        h.sentence("PGSD,seis-7,10,FOOT,1", at: Self.t0)
        h.sentence("PGSD,seis-7,11,FOOT,1", at: Self.t0 + 1 * Self.s)
        h.sentence("PGSD,seis-7,10,FOOT,1", at: Self.t0 + 2 * Self.s)  // duplicate of the first
        h.sentence("PGSD,seis-7,12,FOOT,1", at: Self.t0 + 3 * Self.s)
        h.finish()
        #expect(h.events.count == 3)
        #expect(h.processor.counters.duplicates == ["seis-7": 1])
        #expect(h.processor.counters.lost["seis-7", default: 0] == 0)
    }

    @Test("a sentence from a sensor the configuration does not list is stored as kind unknown and counted")
    func unknownSensor() throws {
        var h = Harness(Self.configuration())
        h.sentence("PGSD,ghost-3,1,ANIM,20", at: Self.t0 + 1 * Self.s)
        h.sentence("PGSS,ghost-3,3300,10.0,0", at: Self.t0 + 2 * Self.s)
        h.finish()
        let event = try #require(h.events.first)
        #expect(h.events.count == 1)
        #expect(event.sensor == "ghost-3")
        #expect(event.kind == .unknown)
        #expect(event.zone == nil)
        #expect(event.detectionClass == "ANIM")
        #expect(event.position == Self.site)
        #expect(event.tags == [:])
        #expect(h.statuses.map(\.sensor) == ["ghost-3"])
        #expect(h.processor.counters.unknownSensorSentences == ["ghost-3": 2])
    }

    // MARK: Position

    /// Live, each port has its own ring: a fix read on the GPS port can be
    /// handled after a detection from the radio that came later. The
    /// detection still takes the fix before it, as a replay in time order does.
    @Test("an event takes the last fix at or before its time, in whatever order the ports were drained")
    func gpsFixByTime() {
        var configuration = Self.configuration()
        configuration.serial.append(SerialPortConfig(port: "/dev/ttyUSB1", baud: 4800))
        var h = Harness(configuration)
        h.sentence("PGSD,seis-7,1,FOOT,10", port: 0, at: Self.t0 + 10 * Self.s)
        h.sentence(
            "GPGGA,031209.00,4500.0000,N,07300.0000,W,1,08,0.9,100.0,M,0.0,M,,", port: 1, at: Self.t0 + 9 * Self.s)
        h.sentence(
            "GPGGA,031211.00,4600.0000,N,07400.0000,W,1,08,0.9,100.0,M,0.0,M,,", port: 1, at: Self.t0 + 11 * Self.s)
        h.finish()
        #expect(h.events.map(\.position) == [Position(lat: 45.0, lon: -73.0)])
    }

    /// A GPS on a quiet trail (or a storm of fixes) must not grow memory:
    /// only the fix an event still to come could take is kept.
    @Test("a GPS with no events keeps only the fixes an event may still take")
    func fixesStayBounded() {
        var h = Harness(Self.configuration())
        let gga = "GPGGA,031209.00,4500.0000,N,07300.0000,W,1,08,0.9,100.0,M,0.0,M,,"
        for i in 0..<5000 { h.sentence(gga, at: Self.t0 + Int64(i) * Self.s) }
        #expect(h.processor.heldFixes <= 2)
        h.sentence("PGSD,seis-7,1,FOOT,10", at: Self.t0 + 5000 * Self.s)
        h.finish()
        #expect(h.events.map(\.position) == [Position(lat: 45.0, lon: -73.0)])
    }

    @Test("the GPS fix is the position of events from sensors without lat/lon; a sensor's own wins")
    func gpsFixPosition() {
        var h = Harness(Self.configuration())
        h.sentence("PGSD,seis-7,1,FOOT,10", at: Self.t0)
        h.sentence("GPGGA,031201.00,4500.0000,N,07300.0000,W,1,08,0.9,100.0,M,0.0,M,,", at: Self.t0 + 1 * Self.s)
        h.sentence("PGSD,seis-7,2,FOOT,10", at: Self.t0 + 2 * Self.s)
        h.sentence("PCAM,cam-2,1,MANUAL,a.jpg", at: Self.t0 + 2 * Self.s)
        h.sentence("PGSD,ghost-3,1,FOOT,10", at: Self.t0 + 2 * Self.s)
        // A GGA without a fix (quality 0) does not move the box.
        h.sentence("GPGGA,031203.00,4600.0000,N,07400.0000,W,0,00,,,M,,M,,", at: Self.t0 + 3 * Self.s)
        // An RMC with status A does (any talker).
        h.sentence("GNRMC,031204.00,A,4530.0000,N,07230.0000,W,0.0,0.0,050626,,,A", at: Self.t0 + 4 * Self.s)
        h.sentence("PGSD,seis-7,3,FOOT,10", at: Self.t0 + 5 * Self.s)
        h.edge(rising: true, at: Self.t0 + 6 * Self.s)
        h.finish()
        let fix = Position(lat: 45.0, lon: -73.0)
        let later = Position(lat: 45.5, lon: -72.5)
        #expect(
            h.events.map(\.position) == [
                Self.site, fix, Self.camPosition, fix, later, Self.pirPosition,
            ])
        #expect(h.fixes.map(\.position) == [fix, later])
        #expect(h.fixes.map(\.ts) == [Self.t0 + 1 * Self.s, Self.t0 + 4 * Self.s])
        #expect(h.processor.boxPosition == later)
    }

    @Test("without a site or a fix, an event from a sensor without lat/lon has no position")
    func noPosition() {
        var h = Harness(Self.configuration(site: nil))
        h.sentence("PGSD,seis-7,1,FOOT,10", at: Self.t0)
        h.finish()
        #expect(h.events.count == 1)
        #expect(h.events.first?.position == nil)
    }

    // MARK: Ordering

    static let pirThenSeis = RuleConfig(
        name: "approach", severity: .high, condition: .sequence(first: "pir-1", second: "seis-7"),
        withinNs: 5 * s, direction: "inbound")

    @Test("a debounced GPIO event known after a later serial event still reaches rules first")
    func reorderSingleEdge() throws {
        var h = Harness(Self.configuration(rules: [Self.pirThenSeis]))
        h.edge(rising: true, at: Self.t0 + 1_000 * Self.ms)
        h.sentence("PGSD,seis-7,12,FOOT,64", at: Self.t0 + 1_010 * Self.ms)
        h.advance(to: Self.t0 + 1_045 * Self.ms)
        h.finish()
        #expect(h.events.map(\.sensor) == ["pir-1", "seis-7"])
        let alert = try #require(h.alerts.first { $0.rule == "approach" })
        #expect(alert.direction == "inbound")
        #expect(alert.firstTs == Self.t0 + 1_000 * Self.ms)
        #expect(alert.lastTs == Self.t0 + 1_010 * Self.ms)
        #expect(alert.events == h.events.map(\.id))
    }

    @Test("contact bounce around a serial event: the GPIO event still reaches rules first")
    func reorderBouncingEdge() throws {
        var h = Harness(Self.configuration(rules: [Self.pirThenSeis]))
        // The PIR's contact bounces for 20 ms; its burst starts at 1.000 s and
        // closes 30 ms after its last edge, at 1.050 s.
        h.edge(rising: true, at: Self.t0 + 1_000 * Self.ms)
        h.edge(rising: false, at: Self.t0 + 1_004 * Self.ms)
        h.edge(rising: true, at: Self.t0 + 1_008 * Self.ms)
        h.sentence("PGSD,seis-7,12,FOOT,64", at: Self.t0 + 1_010 * Self.ms)
        h.edge(rising: false, at: Self.t0 + 1_015 * Self.ms)
        h.edge(rising: true, at: Self.t0 + 1_020 * Self.ms)
        // A heartbeat moves time on while the PIR's window is still open.
        h.sentence("PGSS,seis-7,3600,12.0,0", at: Self.t0 + 1_045 * Self.ms)
        h.advance(to: Self.t0 + 2 * Self.s)
        h.finish()
        #expect(h.events.map(\.sensor) == ["pir-1", "seis-7"])
        #expect(h.events.map(\.ts) == [Self.t0 + 1_000 * Self.ms, Self.t0 + 1_010 * Self.ms])
        let alert = try #require(h.alerts.first { $0.rule == "approach" })
        #expect(alert.events == h.events.map(\.id))
    }

    @Test("live, a line that keeps bouncing holds other events back for at most the hold")
    func chatterDoesNotBlock() {
        let hold = Processor.liveBurstHoldNs
        var h = Harness(Self.configuration(), burstHoldNs: hold)
        let w = 30 * Self.ms
        // Edges every 10 ms from 0.5 s: one burst that never closes.
        var t = Self.t0 + 500 * Self.ms
        var rising = true
        func chatter(until end: Int64) {
            while t < end {
                h.edge(rising: rising, at: t)
                rising.toggle()
                t += 10 * Self.ms
            }
        }
        chatter(until: Self.t0 + 1_000 * Self.ms)
        h.sentence("PGSD,seis-7,1,FOOT,1", at: Self.t0 + 1_000 * Self.ms)
        let released = Self.t0 + 1_000 * Self.ms + w + hold
        chatter(until: released)
        #expect(h.events.isEmpty)
        chatter(until: released + 20 * Self.ms)
        #expect(h.events.map(\.sensor) == ["seis-7"])
    }

    /// A replay keeps PRODUCT.md's time order however long a burst bounces:
    /// the PIR's 10 s burst opens its episode at 1 s, before the seismic
    /// detection at 5 s, so the sequence fires.
    @Test("a replay waits for a long burst, so a sequence across it still fires")
    func longBurstKeepsTimeOrder() throws {
        var h = Harness(Self.configuration(rules: [Self.pirThenSeis]))
        var rising = true
        var t = Self.t0 + 1 * Self.s
        while t <= Self.t0 + 11 * Self.s {
            if t == Self.t0 + 5 * Self.s { h.sentence("PGSD,seis-7,1,FOOT,1", at: t) }
            h.edge(rising: rising, at: t)
            rising.toggle()
            t += 20 * Self.ms
        }
        #expect(h.events.isEmpty)
        h.finish()
        #expect(h.events.map(\.sensor) == ["pir-1", "seis-7"])
        #expect(h.events.map(\.ts) == [Self.t0 + 1 * Self.s, Self.t0 + 5 * Self.s])
        let alert = try #require(h.alerts.first { $0.rule == "approach" })
        #expect(alert.events == h.events.map(\.id))
    }

    @Test("events are released in time order however they were known")
    func releaseOrder() {
        var h = Harness(Self.configuration())
        h.edge(rising: true, at: Self.t0 + 100 * Self.ms)  // known at 130 ms
        h.sentence("PGSD,seis-7,1,FOOT,1", at: Self.t0 + 110 * Self.ms)
        h.sentence("PGSD,seis-7,2,FOOT,1", at: Self.t0 + 120 * Self.ms)
        h.edge(rising: false, at: Self.t0 + 300 * Self.ms)  // known at 330 ms
        h.sentence("PGSD,seis-7,3,FOOT,1", at: Self.t0 + 310 * Self.ms)
        h.edge(rising: true, at: Self.t0 + 400 * Self.ms)
        h.edge(rising: false, at: Self.t0 + 410 * Self.ms)  // back where it was: a glitch
        h.sentence("PGSD,seis-7,4,FOOT,1", at: Self.t0 + 420 * Self.ms)
        h.finish()
        #expect(
            h.events.map(\.ts) == [100, 110, 120, 300, 310, 420].map { Self.t0 + $0 * Self.ms })
        #expect(h.events.map(\.sensor) == ["pir-1", "seis-7", "seis-7", "pir-1", "seis-7", "seis-7"])
        #expect(h.events.map(\.state) == [.active, .active, .active, .inactive, .active, .active])
        #expect(h.processor.counters.glitches == ["pir-1": 1])
    }

    @Test("advance(to:) holds nothing back once the largest debounce window has passed")
    func advanceReleases() {
        var h = Harness(Self.configuration())
        h.sentence("PGSD,seis-7,1,FOOT,1", at: Self.t0)
        h.advance(to: Self.t0 + 30 * Self.ms)
        #expect(h.events.count == 1)
        h.edge(rising: true, at: Self.t0 + 1 * Self.s)
        h.advance(to: Self.t0 + 1 * Self.s + 60 * Self.ms)
        #expect(h.events.count == 2)
    }

    // MARK: Framing

    @Test("a serial gap record resets the framer: half a sentence never joins the next")
    func gapResetsFramer() throws {
        let whole = Self.frame("PGSD,seis-7,1,FOOT,64")
        let cut = whole.index(whole.startIndex, offsetBy: 16)
        let head = String(whole[..<cut])
        let tail = String(whole[cut...]) + Self.frame("PGSD,seis-7,2,VEH,10")

        // Control: without the gap the halves make a valid sentence.
        var joined = Harness(Self.configuration())
        joined.serial(head, at: Self.t0)
        joined.serial(tail, at: Self.t0 + 1 * Self.s)
        joined.finish()
        #expect(joined.events.map(\.strength) == [64, 10])

        var h = Harness(Self.configuration())
        h.serial(head, at: Self.t0)
        h.gap(at: Self.t0 + 1 * Self.s)
        h.serial(tail, at: Self.t0 + 1 * Self.s)
        h.finish()
        let event = try #require(h.events.first)
        #expect(h.events.count == 1)
        #expect(event.strength == 10)
        #expect(event.detectionClass == "VEH")
        #expect(h.processor.counters.serialGaps == 1)
        #expect(h.processor.counters.framing.truncated == 1)
        #expect(h.processor.counters.framing.frames == 1)
        // seq 2 is the first accepted message of seis-7: nothing lost.
        #expect(h.processor.counters.lost == [:])
    }

    @Test("a gap on one port leaves another port's half sentence alone")
    func gapIsPerPort() {
        var config = Self.configuration()
        config.serial.append(SerialPortConfig(port: "/dev/ttyUSB1"))
        var h = Harness(config)
        let whole = Self.frame("PGSD,seis-7,1,FOOT,64")
        let cut = whole.index(whole.startIndex, offsetBy: 10)
        h.serial(String(whole[..<cut]), port: 1, at: Self.t0)
        h.gap(port: 0, at: Self.t0 + 1)
        h.serial(String(whole[cut...]), port: 1, at: Self.t0 + 2)
        h.finish()
        #expect(h.events.count == 1)
    }

    // MARK: Determinism

    static func script(_ h: inout Harness) {
        h.sentence("GPGGA,031200.00,4500.0000,N,07300.0000,W,1,08,0.9,100.0,M,0.0,M,,", at: t0)
        h.edge(rising: true, at: t0 + 1_000 * ms)
        h.edge(rising: false, at: t0 + 1_002 * ms)
        h.edge(rising: true, at: t0 + 1_004 * ms)
        h.serial(frame("PGSD,seis-7,1,FOOT,64") + frame("PGSD,seis-7,1,FOOT,64"), at: t0 + 1_010 * ms)
        h.sentence("PGSD,seis-7,5,VEH,90", at: t0 + 1_500 * ms)
        h.sentence("PCAM,cam-2,9,PIR,IMG_9.JPG", at: t0 + 1_600 * ms)
        h.sentence("PGSD,ghost-3,1,UNK,3", at: t0 + 1_700 * ms)
        h.sentence("PGSS,seis-7,3500,8.25,0", at: t0 + 1_800 * ms)
        h.edge(rising: false, at: t0 + 3_000 * ms)
        h.edge(rising: true, at: t0 + 7_000 * ms)
        h.sentence("PGSD,seis-7,6,VEH,90", at: t0 + 7_010 * ms)
        h.edge(rising: false, at: t0 + 9_000 * ms)
        h.finish()
    }

    @Test("the same inputs twice give identical outputs, ids included")
    func deterministic() {
        let rules = [
            Self.pirThenSeis,
            RuleConfig(
                name: "crossing", severity: .critical, condition: .allOf(kinds: [.pir, .seismic], zone: "north-fork"),
                withinNs: 60 * Self.s),
        ]
        var one = Harness(Self.configuration(rules: rules))
        var two = Harness(Self.configuration(rules: rules))
        Self.script(&one)
        Self.script(&two)
        #expect(one.events == two.events)
        #expect(one.alerts == two.alerts)
        #expect(one.statuses == two.statuses)
        #expect(one.processor.counters == two.processor.counters)
        #expect(one.events.count == 9)
        #expect(Set(one.events.map(\.id)).count == one.events.count)
        // pir-1 opens twice (7 s > its 5 s hold-off); seis-7's 10 s hold-off keeps it to one episode.
        #expect(one.alerts.map(\.rule) == ["detection", "approach", "crossing", "detection"])
        #expect(one.processor.counters.duplicates == ["seis-7": 1])
        #expect(one.processor.counters.lost == ["seis-7": 3])
    }
}
