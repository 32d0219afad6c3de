import PicketCore
import PicketHardware

/// What `/livez`, `/healthz`, the watchdog and `picket_sensor_up` say about
/// the box, from one place so they never disagree.
///
/// Alive: the hot path turns and the store answers (`SystemdService.problem`).
/// Healthy: alive, and every configured input (GPIO line, serial port)
/// works, the store takes batches, the clock is within
/// `health.clock_max_offset_s` of GPS time and the disk has
/// `health.disk_min_free_mb` free (each where configured).
public struct BoxHealth: Sendable {
    let configuration: PicketConfiguration
    let processing: ProcessingService
    let board: DriverHealthBoard?
    let clock: ClockOffsetBoard?

    public init(
        configuration: PicketConfiguration, processing: ProcessingService, board: DriverHealthBoard?,
        clock: ClockOffsetBoard? = nil
    ) {
        self.configuration = configuration
        self.processing = processing
        self.board = board
        self.clock = clock
    }

    /// Why the daemon is not alive (a hung hot path or store), or nil.
    public var livenessProblem: String? { SystemdService.problem(processing) }

    /// Every problem, one a line, each naming its sensor, line or port; empty when healthy.
    public var problems: [String] {
        var out: [String] = []
        if let problem = livenessProblem { out.append(problem) }
        for (source, sensors, status) in inputs() {
            let named = sensors.isEmpty ? source : "\(source) (\(sensors.joined(separator: ", ")))"
            guard let status else {
                out.append("input \(named): its driver has not reported yet")
                continue
            }
            if !status.healthy { out.append("input \(named): \(status.detail)") }
        }
        if let problem = processing.storeProblem { out.append(problem) }
        if let minimum = configuration.health.diskMinFreeBytes {
            let free = processing.freeBytes.load(ordering: .relaxed)
            if free >= 0, free < minimum {
                out.append(
                    "disk: \(free / 1_048_576) MB free beside the database, less than health.disk_min_free_mb "
                        + "(\(minimum / 1_048_576))")
            }
        }
        // A clock not measured yet (no RMC seen) is not judged: `health.gps_lost` covers a silent GPS.
        if let maximum = configuration.health.clockMaxOffsetNs, let offset = clock?.offset,
            abs(offset.offsetNs) > maximum
        {
            out.append(
                "clock: \(offset.sentence) (at \(UTCTime.format(offset.ts))), more than "
                    + "health.clock_max_offset_s (\(Double(maximum) / 1e9))")
        }
        return out
    }

    /// Each configured input with the sensors it feeds and its latest
    /// state (nil: not reported yet). Serial ports relay whichever sensors
    /// are in range, so they name none.
    func inputs() -> [(source: String, sensors: [String], status: DriverStatus?)] {
        guard let board else { return [] }
        var sensorsOf: [String: [String]] = [:]
        for line in configuration.gpio { sensorsOf["\(line.chip):\(line.line)", default: []].append(line.sensor.id) }
        return board.current().map { ($0.source, sensorsOf[$0.source] ?? [], $0.status) }
    }

    /// Whether each configured sensor is up: the daemon is alive and its
    /// GPIO line works, or, for a sensor heard over the radio on a box with
    /// one serial port, that port works (with several ports nothing says
    /// which one relays it, so the ports do not judge it: `picket sensors`
    /// and the status say the same). Sensors of the simulated kit (no
    /// expected inputs) are up while the daemon is alive.
    public func sensorsUp() -> [String: Bool] {
        let alive = livenessProblem == nil
        var lineUp: [String: Bool] = [:]
        var ports: [Bool] = []
        for (_, sensors, status) in inputs() {
            let up = status?.healthy ?? false
            if sensors.isEmpty { ports.append(up) }
            for sensor in sensors { lineUp[sensor] = up }
        }
        let radioUp = ports.count == 1 ? ports[0] : true
        var out: [String: Bool] = [:]
        for sensor in configuration.allSensors { out[sensor.id] = alive && (lineUp[sensor.id] ?? radioUp) }
        return out
    }
}
