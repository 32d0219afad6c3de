import PicketCore
import Yams

/// Walks a composed YAML document and builds a `PicketConfiguration`,
/// reporting every problem on the way.
///
/// Sections are read in dependency order (sensors before the rules and
/// subscribers that refer to them) and each entry is checked even when an
/// earlier one failed, so one run shows the technician the whole list. A
/// class because the sections share what has been declared so far.
///
/// An optional value that fails its check falls back to its default: the
/// problem is already recorded, and any problem means no configuration is
/// returned, so the fallback only keeps the walk going.
final class ConfigurationBuilder {
    /// A sensor as far as it could be read; rules and subscribers are
    /// checked against these even when the rest of its entry was wrong, so
    /// one typo does not ripple into "unknown sensor" everywhere.
    struct DeclaredSensor {
        let id: String
        let kind: SensorKind?
        let zone: String?
        let field: Field
    }

    static let topLevelKeys = [
        "box", "sector", "site", "storage", "gpio", "serial", "sensors", "rules", "forward", "hotline", "timezone",
        "metrics", "health",
    ]
    static let gpioKeys = [
        "chip", "line", "sensor", "kind", "zone", "active", "debounce_ms", "holdoff_ms", "severity", "lat", "lon",
        "tags", "bias", "poll_ms",
    ]
    /// `gpio[].poll_ms` bounds: faster than 1 ms is a busy loop, slower than
    /// 10 s misses every sensor a person can trip.
    static let pollMsRange = 1...10_000
    static let sensorKeys = ["id", "kind", "zone", "holdoff_ms", "severity", "lat", "lon", "tags"]
    static let serialKeys = ["port", "baud", "protocol"]
    /// The termios rates from B1200 up; slower ones belong to teletypes,
    /// not to radio receivers or GPS units.
    static let standardBaudRates = [
        1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
    ]
    /// `unknown` is what the daemon assigns to radio sensors nobody
    /// configured; a technician cannot declare it.
    static let configurableKinds = SensorKind.allCases.filter { $0 != .unknown }

    static let idExpectation = "must use only letters, digits, '.', '_' and '-' (sensor ids travel in NMEA fields)"
    static let millisecondsExpectation = "must be a whole number of milliseconds >= 0"
    /// The longest debounce or holdoff: about 31 years, so that an event's
    /// time plus it still fits in Int64 nanoseconds.
    static let maximumMilliseconds = 1_000_000_000_000

    let reader: ConfigReader
    private(set) var declared: [DeclaredSensor] = []
    private var lineOwners: [String: Field] = [:]
    private var portOwners: [String: Field] = [:]
    private var ruleNameOwners: [String: Field] = [:]

    init(reader: ConfigReader) {
        self.reader = reader
    }

    /// Zones that some configured sensor is in: the only zones a rule or a
    /// subscriber can usefully name.
    var knownZones: [String] {
        var zones: [String] = []
        for zone in declared.compactMap(\.zone) where !zones.contains(zone) {
            zones.append(zone)
        }
        return zones
    }

    /// The configuration, or nil when anything was reported.
    func build(_ root: Node) -> PicketConfiguration? {
        let document = Field(path: .document, node: root)
        if document.isNull {
            reader.reportEmptyDocument()
            return nil
        }
        guard
            let top = reader.mapping(
                document, "must be a mapping of keys such as box: and sector:", allowed: Self.topLevelKeys)
        else { return nil }

        let box = top.required("box", example: "swanton-07").flatMap { reader.text($0) }
        let sector = top.required("sector", example: "swanton").flatMap { reader.text($0) }
        let site = top.optional("site").flatMap(site)
        let storage = top.optional("storage").flatMap(storage)
        let gpio = entries(top, "gpio", "must be a list of GPIO lines", gpioLine)
        let serial = entries(top, "serial", "must be a list of serial ports", serialPort)
        let sensors = entries(top, "sensors", "must be a list of radio sensors", radioSensor)
        let rules = entries(top, "rules", "must be a list of rules", rule)
        let forward = top.optional("forward").flatMap(forward)
        let hotline = top.optional("hotline").flatMap(hotline)
        let timeZone = top.optional("timezone").flatMap(timeZone) ?? "UTC"
        let metrics = top.optional("metrics").map(metricsListen)
        let health = top.optional("health").flatMap(healthSettings)

        guard reader.problems.isEmpty, let box, let sector else { return nil }
        var configuration = PicketConfiguration(
            box: box, sector: sector, site: site, storagePath: storage?.path, gpio: gpio, serial: serial,
            sensors: sensors, rules: rules, forward: forward, hotline: hotline, timeZone: timeZone)
        if let metrics { configuration.metricsListen = metrics }
        if let health { configuration.health = health }
        if let storage { configuration.retention = storage.retention }
        return configuration
    }

    /// The valid entries of an optional list; invalid ones are reported by
    /// `convert` and left out, which is harmless because any problem means
    /// no configuration is returned.
    func entries<Entry>(
        _ map: MappingReader, _ key: String, _ expectation: String, _ convert: (Field) -> Entry?
    ) -> [Entry] {
        guard let field = map.optional(key), let items = reader.list(field, expectation) else { return [] }
        return items.compactMap(convert)
    }

    // MARK: Site

    private func site(_ field: Field) -> Position? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {lat: 44.9925, lon: -73.1098}", allowed: ["lat", "lon"])
        else { return nil }
        let lat = map.required("lat", example: "44.9925").flatMap(latitude)
        let lon = map.required("lon", example: "-73.1098").flatMap(longitude)
        guard let lat, let lon else { return nil }
        return Position(lat: lat, lon: lon)
    }

    // MARK: GPIO lines and serial ports

    private func gpioLine(_ field: Field) -> GPIOLineConfig? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir}",
                allowed: Self.gpioKeys, hints: ["id": "a GPIO line names its sensor with sensor:"])
        else { return nil }
        let chip = map.required("chip", example: "gpiochip0").flatMap { reader.text($0) }
        let lineField = map.required("line", example: "17")
        let line = lineField.flatMap {
            reader.wholeNumber(
                $0, minimum: 0, maximum: 65535, "must be a whole number >= 0 (the line's offset on its chip)")
        }
        let sensor = sensor(map, idKey: "sensor")
        let active = map.optional("active").flatMap { reader.choice($0, ActiveLevel.self) } ?? .high
        let debounceMs =
            map.optional("debounce_ms").flatMap {
                reader.wholeNumber($0, minimum: 0, maximum: Self.maximumMilliseconds, Self.millisecondsExpectation)
            }
            ?? 0
        let bias = map.optional("bias").flatMap { reader.choice($0, LineBias.self) } ?? .asIs
        let pollMs = map.optional("poll_ms").flatMap {
            reader.wholeNumber(
                $0, minimum: Self.pollMsRange.lowerBound, maximum: Self.pollMsRange.upperBound,
                "must be a whole number of milliseconds from 1 to 10000 (how often a line without interrupts is sampled)"
            )
        }

        guard let chip, let line, let lineField else { return nil }
        claim(&lineOwners, key: "\(chip)\u{0}\(line)", by: lineField, owner: field) { first in
            "\(chip) line \(line) is already used by \(first); wire one sensor per line"
        }
        guard let sensor else { return nil }
        return GPIOLineConfig(
            chip: chip, line: line, sensor: sensor, active: active, debounceMs: debounceMs, bias: bias,
            pollMs: pollMs)
    }

    private func serialPort(_ field: Field) -> SerialPortConfig? {
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {port: /dev/ttyUSB0, baud: 9600}", allowed: Self.serialKeys)
        else { return nil }
        let portField = map.required("port", example: "/dev/ttyUSB0")
        let port = portField.flatMap { reader.text($0, "must be a non-empty device path, e.g. /dev/ttyUSB0") }
        let baudExpectation =
            "must be a standard baud rate: " + Self.standardBaudRates.map(String.init).joined(separator: ", ")
        let baud =
            map.optional("baud").flatMap { field -> Int? in
                guard let rate = reader.wholeNumber(field, minimum: 1, baudExpectation) else { return nil }
                guard Self.standardBaudRates.contains(rate) else {
                    reader.report(field, baudExpectation)
                    return nil
                }
                return rate
            } ?? 9600
        let serialProtocol = map.optional("protocol").flatMap { reader.choice($0, SerialProtocol.self) } ?? .nmea

        guard let port, let portField else { return nil }
        claim(&portOwners, key: port, by: portField, owner: field) { first in
            "\(port) is already configured by \(first); list each port once"
        }
        return SerialPortConfig(port: port, baud: baud, protocol: serialProtocol)
    }

    // MARK: Sensors

    private func radioSensor(_ field: Field) -> SensorConfig? {
        let gpioOnly = "applies only to gpio entries"
        guard
            let map = reader.mapping(
                field, "must be a mapping such as {id: seis-7, kind: seismic}", allowed: Self.sensorKeys,
                hints: [
                    "sensor": "radio sensors are named with id:",
                    "chip": "chip \(gpioOnly)", "line": "line \(gpioOnly)", "active": "active \(gpioOnly)",
                    "debounce_ms": "debounce_ms \(gpioOnly)", "bias": "bias \(gpioOnly)",
                    "poll_ms": "poll_ms \(gpioOnly)",
                ])
        else { return nil }
        return sensor(map, idKey: "id")
    }

    /// What GPIO and radio sensors share, read from either kind of entry.
    private func sensor(_ map: MappingReader, idKey: String) -> SensorConfig? {
        let idField = map.required(idKey, example: idKey == "id" ? "seis-7" : "pir-1")
        let id = idField.flatMap { reader.identifier($0, Self.idExpectation) }
        let kind = map.required("kind", example: idKey == "id" ? "seismic" : "pir").flatMap(sensorKind)
        let zone = map.optional("zone").flatMap { reader.text($0) }
        let holdoffMs =
            map.optional("holdoff_ms").flatMap {
                reader.wholeNumber($0, minimum: 0, maximum: Self.maximumMilliseconds, Self.millisecondsExpectation)
            }
            ?? 0
        let severity = map.optional("severity").flatMap { reader.choice($0, Severity.self) }
        let position = position(map)
        let tags = map.optional("tags").flatMap(tags) ?? [:]

        if let id, let idField {
            if id == Report.sensor {
                reader.report(
                    idField,
                    "report is reserved for hotline reports (picket report, and sequence rules naming report); "
                        + "choose another id")
            } else if let first = declared.first(where: { $0.id == id }) {
                reader.report(
                    idField, "\(id) is already the id of \(Self.place(first.field)); sensor ids must be unique")
            }
            declared.append(DeclaredSensor(id: id, kind: kind, zone: zone, field: idField))
        }
        guard let id, let kind else { return nil }
        return SensorConfig(
            id: id, kind: kind, zone: zone, holdoffMs: holdoffMs, severity: severity, position: position, tags: tags)
    }

    /// A configurable sensor kind, with a message of its own for
    /// `unknown`, which is a real kind but not one a person may assign.
    func sensorKind(_ field: Field) -> SensorKind? {
        let choices = ConfigReader.alternatives(Self.configurableKinds.map(\.rawValue))
        if case .scalar(let scalar) = field.node, scalar.string == SensorKind.unknown.rawValue {
            reader.report(field, "unknown is reserved for radio sensors missing from the configuration; use \(choices)")
            return nil
        }
        return reader.choice(field, SensorKind.self, allowed: Self.configurableKinds)
    }

    /// The sensor's own position, if it has a valid one.
    private func position(_ map: MappingReader) -> Position? {
        let latField = map.optional("lat")
        let lonField = map.optional("lon")
        let lat = latField.flatMap(latitude)
        let lon = lonField.flatMap(longitude)
        switch (latField, lonField) {
        case (nil, nil):
            return nil
        case (let latField?, nil):
            reader.report(
                map.path.key("lon"), at: latField.node.mark, "is required when lat is given; give both or neither")
            return nil
        case (nil, let lonField?):
            reader.report(
                map.path.key("lat"), at: lonField.node.mark, "is required when lon is given; give both or neither")
            return nil
        case (.some, .some):
            guard let lat, let lon else { return nil }
            return Position(lat: lat, lon: lon)
        }
    }

    private func latitude(_ field: Field) -> Double? {
        degrees(field, limit: 90, "must be a latitude in degrees between -90 and 90")
    }

    private func longitude(_ field: Field) -> Double? {
        degrees(field, limit: 180, "must be a longitude in degrees between -180 and 180")
    }

    private func degrees(_ field: Field, limit: Double, _ expectation: String) -> Double? {
        guard let value = reader.number(field, expectation) else { return nil }
        guard (-limit...limit).contains(value) else {
            reader.report(field, expectation)
            return nil
        }
        return value
    }

    /// Tags are free-form, but each value must be one piece of text because
    /// it is copied verbatim onto every event.
    private func tags(_ field: Field) -> [String: String]? {
        guard let map = reader.mapping(field, "must be a mapping such as {trail: north-fork}", allowed: nil) else {
            return nil
        }
        var tags: [String: String] = [:]
        var valid = true
        for (name, value) in map.entries {
            guard case .scalar(let scalar) = value.node, !value.isNull else {
                reader.report(value, "must be a single value such as north-fork, not \(value.shapeDescription)")
                valid = false
                continue
            }
            guard reader.printable(value, name), reader.printable(value, scalar.string) else {
                valid = false
                continue
            }
            tags[name] = scalar.string
        }
        return valid ? tags : nil
    }

    // MARK: Uniqueness

    /// Records that `field` claims `key`; when something already did,
    /// reports the clash at the newcomer, naming the first holder's place.
    func claim(
        _ owners: inout [String: Field], key: String, by field: Field, owner: Field,
        message: (String) -> String
    ) {
        if let first = owners[key] {
            reader.report(field, message(Self.place(first)))
            return
        }
        owners[key] = owner
    }

    func claimRuleName(_ name: String, by field: Field, rule: Field) {
        claim(&ruleNameOwners, key: name, by: field, owner: rule) { first in
            "\(name) is already the name of \(first); rule names must be unique"
        }
    }

    /// `gpio[0] (line 9)`: a place a technician can find in the file.
    static func place(_ field: Field) -> String {
        guard let line = field.node.mark?.line else { return field.path.description }
        return "\(field.path) (line \(line))"
    }
}
