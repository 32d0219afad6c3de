import HeapModule
import PicketCore

/// Plausible activity for the sensors of a configuration, as raw inputs: the
/// same shape a real box sees, so everything downstream is exercised.
///
/// Deterministic for a seed, so a test can turn a stretch of simulation into
/// a recording and expect the same events every time. What it makes:
/// - people walking through each zone every 20–60 s: the zone's PIR and
///   magnetic lines pulse with contact bounce, the beams of a `sequence` rule
///   are cut in walking order (either direction), seismic sensors report
///   `FOOT` detections over the radio (sometimes relayed twice, sometimes
///   lost), a camera in the zone captures an image;
/// - vehicles in zones with a magnetic sensor (`VEH` detections);
/// - animals: 2 ms PIR glitches and `ANIM` detections;
/// - a `$PGSS` heartbeat from every radio sensor each minute, GGA and RMC
///   from the GPS every second, and now and then line noise on the radio.
public struct SimulatedFieldKit: Sendable {
    struct Scheduled: Comparable, Sendable {
        var t: Int64
        var order: Int
        var input: RecordedInput
        static func < (a: Scheduled, b: Scheduled) -> Bool { a.t != b.t ? a.t < b.t : a.order < b.order }
        static func == (a: Scheduled, b: Scheduled) -> Bool { a.order == b.order }
    }

    private static let ms: Int64 = 1_000_000
    private static let second: Int64 = 1_000_000_000

    public let configuration: PicketConfiguration
    public let startedUTC: Int64
    private var random: SplitMix64
    private var queue = Heap<Scheduled>()
    private var order = 0
    private var nextScene: Int64
    private var nextHeartbeat: Int64 = 2 * second
    private var nextGPS: Int64 = 500 * ms
    private var seqs: [String: Int] = [:]
    private var battery: [String: Int] = [:]
    private let radioPort: Int?
    private let gpsPort: Int?
    private let zones: [String]

    public init(configuration: PicketConfiguration, startedUTC: Int64, seed: UInt64 = 7) {
        self.configuration = configuration
        self.startedUTC = startedUTC
        random = SplitMix64(seed: seed)
        radioPort = configuration.serial.isEmpty ? nil : 0
        gpsPort = configuration.serial.isEmpty ? nil : configuration.serial.count - 1
        zones = Array(Set(configuration.allSensors.compactMap(\.zone))).sorted()
        nextScene = 3 * Self.second
    }

    /// Whether the configuration leaves the kit nothing to play: no serial
    /// port (so no radio, no GPS) and no GPIO sensor in a zone (scenes play
    /// in zones). `next()` must not be called then: it would never return.
    public var isSilent: Bool {
        configuration.serial.isEmpty && !configuration.gpio.contains { $0.sensor.zone != nil }
    }

    /// The next input, `t` in nanoseconds since the start. Never ends
    /// (unless `isSilent`, where it never returns: check that first).
    public mutating func next() -> RecordedInput {
        while queue.isEmpty || queue.min!.t > min(nextScene, nextHeartbeat, nextGPS) {
            let due = min(nextScene, nextHeartbeat, nextGPS)
            if due == nextGPS {
                gps(at: nextGPS)
                nextGPS += Self.second
            } else if due == nextHeartbeat {
                heartbeats(at: nextHeartbeat)
                nextHeartbeat += 60 * Self.second
            } else {
                scene(at: nextScene)
                nextScene += Int64(random.next(in: 20...60)) * Self.second
            }
        }
        return queue.removeMin().input
    }

    // MARK: - Scenes

    private mutating func scene(at t: Int64) {
        guard !zones.isEmpty else { return }
        let zone = zones[random.next(in: 0...(zones.count - 1))]
        let roll = random.next(in: 0...9)
        let sensors = configuration.allSensors.filter { $0.zone == zone }
        if roll < 2 {
            animal(at: t, sensors: sensors)
        } else if roll < 4, sensors.contains(where: { $0.kind == .magnetic }) {
            crossing(at: t, zone: zone, sensors: sensors, detectionClass: "VEH")
        } else {
            crossing(at: t, zone: zone, sensors: sensors, detectionClass: "FOOT")
        }
        if random.next(in: 0...4) == 0 { noise(at: t + Int64(random.next(in: 100...900)) * Self.ms) }
    }

    private mutating func crossing(at t: Int64, zone: String, sensors: [SensorConfig], detectionClass: String) {
        var offset: Int64 = 0
        // Beams of a sequence rule, cut in walking order.
        var beamOrder: [String] = []
        for rule in configuration.rules {
            if case .sequence(let a, let b) = rule.condition, sensors.contains(where: { $0.id == a }),
                sensors.contains(where: { $0.id == b }), beamOrder.isEmpty
            {
                beamOrder = random.next(in: 0...1) == 0 ? [a, b] : [b, a]
            }
        }
        for id in beamOrder {
            pulse(sensor: id, at: t + offset, holdMs: random.next(in: 200...700))
            offset += Int64(random.next(in: 1500...4000)) * Self.ms
        }
        for sensor in sensors where !beamOrder.contains(sensor.id) {
            let at = t + Int64(random.next(in: 0...2500)) * Self.ms
            switch sensor.kind {
            case .pir, .magnetic, .beam:
                pulse(sensor: sensor.id, at: at, holdMs: random.next(in: 800...3000))
            case .seismic:
                for step in 0..<random.next(in: 1...3) {
                    detection(sensor.id, at: at + Int64(step) * 900 * Self.ms, detectionClass: detectionClass)
                }
            case .camera:
                capture(sensor.id, at: at + 400 * Self.ms)
            case .unknown:
                break
            }
        }
    }

    private mutating func animal(at t: Int64, sensors: [SensorConfig]) {
        for sensor in sensors {
            switch sensor.kind {
            case .pir:
                // A 2 ms flicker: a glitch for any debounce window above 2 ms.
                guard let line = lineIndex(sensor.id) else { continue }
                let active = configuration.gpio[line].active == .high
                schedule(.edge(t: t, line: line, rising: active))
                schedule(.edge(t: t + 2 * Self.ms, line: line, rising: !active))
            case .seismic:
                detection(sensor.id, at: t + 300 * Self.ms, detectionClass: "ANIM")
            default:
                break
            }
        }
    }

    /// An active pulse on a GPIO line, with 2–5 bounces on each transition.
    private mutating func pulse(sensor: String, at t: Int64, holdMs: Int) {
        guard let line = lineIndex(sensor) else { return }
        let active = configuration.gpio[line].active == .high
        var at = t
        for transition in [active, !active] {
            let bounces = random.next(in: 2...5)
            for b in 0..<(bounces * 2 + 1) {
                schedule(.edge(t: at, line: line, rising: b % 2 == 0 ? transition : !transition))
                at += Int64(random.next(in: 100...1500)) * 1000
            }
            at = t + Int64(holdMs) * Self.ms
        }
    }

    private mutating func detection(_ sensor: String, at t: Int64, detectionClass: String) {
        let seq = nextSeq(sensor)
        let strength = random.next(in: 20...95)
        let body = "PGSD,\(sensor),\(seq),\(detectionClass),\(strength)"
        radio(body, at: t)
        if random.next(in: 0...9) < 2 { radio(body, at: t + Int64(random.next(in: 40...300)) * Self.ms) }
    }

    private mutating func capture(_ camera: String, at t: Int64) {
        let seq = nextSeq(camera)
        radio("PCAM,\(camera),\(seq),PIR,\(camera)-\(String(seq, radix: 10)).jpg", at: t)
    }

    private mutating func nextSeq(_ sensor: String) -> Int {
        var seq = (seqs[sensor] ?? random.next(in: 0...65535)) &+ 1
        if random.next(in: 0...19) == 0 { seq += 1 }  // a message lost on the radio
        seq %= 65536
        seqs[sensor] = seq
        return seq
    }

    private mutating func heartbeats(at t: Int64) {
        var at = t
        for sensor in configuration.sensors {
            let mv = (battery[sensor.id] ?? random.next(in: 3900...4150)) - random.next(in: 0...3)
            battery[sensor.id] = mv
            let temp = Double(random.next(in: -150...300)) / 10
            radio("PGSS,\(sensor.id),\(mv),\(temp),0", at: at)
            at += 150 * Self.ms
        }
    }

    private mutating func gps(at t: Int64) {
        guard let port = gpsPort else { return }
        let site = configuration.site ?? Position(lat: 44.9925, lon: -73.1098)
        let lat = site.lat + Double(random.next(in: -20...20)) / 1_000_000
        let lon = site.lon + Double(random.next(in: -20...20)) / 1_000_000
        let utc = startedUTC + t
        let secondOfDay = ((utc / Self.second) % 86_400 + 86_400) % 86_400
        let time =
            Self.two(secondOfDay / 3600) + Self.two(secondOfDay / 60 % 60) + Self.two(secondOfDay % 60) + ".00"
        let (y, m, d) = UTCTime.civil(fromDays: Int64((utc / Self.second) / 86_400))
        let date = Self.two(d) + Self.two(m) + Self.two(y % 100)
        let latText = Self.degreesMinutes(abs(lat), degreeDigits: 2)
        let lonText = Self.degreesMinutes(abs(lon), degreeDigits: 3)
        let ns = lat >= 0 ? "N" : "S"
        let ew = lon >= 0 ? "E" : "W"
        let gga = "GPGGA,\(time),\(latText),\(ns),\(lonText),\(ew),1,08,0.9,210.4,M,-32.1,M,,"
        let rmc = "GPRMC,\(time),A,\(latText),\(ns),\(lonText),\(ew),0.0,0.0,\(date),,,A"
        let bytes = Array((Self.frame(gga) + Self.frame(rmc)).utf8)
        // GPS receivers deliver a burst that the kernel splits into reads.
        let cut = random.next(in: 10...(bytes.count - 10))
        schedule(.serial(t: t, port: port, bytes: Array(bytes[..<cut])))
        schedule(.serial(t: t + 3 * Self.ms, port: port, bytes: Array(bytes[cut...])))
    }

    private mutating func noise(at t: Int64) {
        guard let port = radioPort else { return }
        let garbage: [[UInt8]] = [
            Array("\u{0}\u{0}~~ radio noise ~~\r\n".utf8), Array("$PGSD,seis-7,1".utf8),
            Array("$PGSD,seis-7,12,FOOT,64*00\r\n".utf8), [0xFF, 0xFE, 0x24, 0x0A],
        ]
        schedule(.serial(t: t, port: port, bytes: garbage[random.next(in: 0...(garbage.count - 1))]))
    }

    private mutating func radio(_ body: String, at t: Int64) {
        guard let port = radioPort else { return }
        let bytes = Array(Self.frame(body).utf8)
        if random.next(in: 0...4) == 0 {
            let cut = random.next(in: 1...(bytes.count - 1))
            schedule(.serial(t: t, port: port, bytes: Array(bytes[..<cut])))
            schedule(.serial(t: t + 2 * Self.ms, port: port, bytes: Array(bytes[cut...])))
        } else {
            schedule(.serial(t: t, port: port, bytes: bytes))
        }
    }

    private mutating func schedule(_ input: RecordedInput) {
        queue.insert(Scheduled(t: input.t, order: order, input: input))
        order += 1
    }

    private func lineIndex(_ sensor: String) -> Int? {
        configuration.gpio.firstIndex { $0.sensor.id == sensor }
    }

    // MARK: - Sentences

    /// `$body*hh\r\n` with the NMEA checksum.
    public static func frame(_ body: String) -> String {
        let sum = body.utf8.reduce(UInt8(0), ^)
        let hex = Array("0123456789ABCDEF")
        return "$\(body)*\(hex[Int(sum >> 4)])\(hex[Int(sum & 0x0F)])\r\n"
    }

    private static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }

    private static func degreesMinutes(_ value: Double, degreeDigits: Int) -> String {
        let degrees = Int(value)
        let tenThousandths = Int(((value - Double(degrees)) * 60 * 10_000).rounded())
        let minutes = tenThousandths / 10_000
        let fraction = tenThousandths % 10_000
        var d = String(degrees)
        while d.count < degreeDigits { d = "0" + d }
        let m = minutes < 10 ? "0\(minutes)" : "\(minutes)"
        var f = String(fraction)
        while f.count < 4 { f = "0" + f }
        return "\(d)\(m).\(f)"
    }
}

/// A small, fast, seedable generator (Vigna's SplitMix64), so a seed gives
/// the same simulation on every platform; the standard library's generator
/// is not seedable.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next(in range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }
}
