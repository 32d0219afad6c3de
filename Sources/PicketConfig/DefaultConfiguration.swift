import PicketCore

/// The simulated field kit that `picket run --simulate` uses when no
/// `--config` is given. It is compiled in so the simulator works from a bare
/// binary, and a test keeps it byte-identical to `Config/picket.simulate.yaml`,
/// the copy people read and edit.
public enum DefaultConfiguration {
    /// What problems in the embedded text would name as their file.
    public static let fileName = "<embedded simulated field kit>"

    /// The exact text of `Config/picket.simulate.yaml`.
    public static let yaml: String = #"""
        # The simulated field kit: the configuration `picket run --simulate` uses when
        # no --config is given (it is compiled into the binary; a test keeps this file
        # and the embedded copy identical). It describes a trail crossing at a river
        # ford: a PIR and two IR beams on GPIO, a magnetometer at the ford, and a
        # radio receiver relaying two seismic sensors and a trail camera, plus a GPS.
        box: sim-01
        sector: simulated
        site: {lat: 44.9925, lon: -73.1098}
        gpio:
          - {chip: gpiochip0, line: 17, sensor: pir-1, kind: pir, zone: north-fork,
             active: high, debounce_ms: 30, holdoff_ms: 5000, severity: low,
             lat: 44.9931, lon: -73.1102, tags: {trail: north-fork}}
          - {chip: gpiochip0, line: 22, sensor: beam-s, kind: beam, zone: north-fork,
             active: low, debounce_ms: 10, holdoff_ms: 2000, tags: {trail: north-fork}}
          - {chip: gpiochip0, line: 23, sensor: beam-n, kind: beam, zone: north-fork,
             active: low, debounce_ms: 10, holdoff_ms: 2000, tags: {trail: north-fork}}
          - {chip: gpiochip0, line: 24, sensor: mag-1, kind: magnetic, zone: river-ford,
             active: high, debounce_ms: 50, holdoff_ms: 10000, severity: medium}
        serial:
          - {port: /dev/ttyUSB0, baud: 9600, protocol: nmea}
          - {port: /dev/ttyUSB1, baud: 4800, protocol: nmea}
        sensors:
          - {id: seis-7, kind: seismic, zone: north-fork, holdoff_ms: 10000}
          - {id: seis-8, kind: seismic, zone: river-ford, holdoff_ms: 10000}
          - {id: cam-1, kind: camera, zone: north-fork, holdoff_ms: 30000,
             tags: {trail: north-fork}}
        rules:
          - {name: crossing, all_of: {kinds: [pir, seismic], zone: north-fork},
             within_s: 60, severity: high}
          - {name: ford-vehicle, all_of: {kinds: [magnetic, seismic], zone: river-ford},
             within_s: 30, cooldown_s: 120, severity: critical}
          - {name: northbound, sequence: [beam-s, beam-n], within_s: 30,
             direction: northbound, severity: medium}
          - {name: southbound, sequence: [beam-n, beam-s], within_s: 30,
             direction: southbound, severity: medium}

        """#

    /// The embedded configuration, validated like any other. It cannot fail
    /// at run time because a test loads the same text.
    public static func load() -> PicketConfiguration {
        do throws(ConfigError) {
            return try ConfigLoader.parse(yaml: yaml, file: fileName)
        } catch {
            preconditionFailure("the embedded simulated configuration is invalid:\n\(error)")
        }
    }
}
