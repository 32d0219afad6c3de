import PicketCore

/// Plays the simulated field kit in real time: GPIO lines and serial ports
/// of the configuration, fed by one scenario so that PIR, beams and the radio
/// agree on who walked by.
public struct SimulatedDriver: GPIOEdgeSource, SerialByteSource {
    public let name = "simulated field kit"
    public let configuration: PicketConfiguration
    public let seed: UInt64
    /// Multiplies the kit's clock: 1 is real time.
    public let speed: Double
    /// The daemon's clock: inputs are stamped with its processing time, as
    /// the real drivers' are, and the kit's schedule sleeps on it.
    private let mapping: UTCMapping

    public init(configuration: PicketConfiguration, seed: UInt64 = 7, speed: Double = 1, mapping: UTCMapping) {
        self.configuration = configuration
        self.seed = seed
        self.speed = max(0.001, speed)
        self.mapping = mapping
    }

    public func run(into sink: any InputSink) async throws {
        let start = mapping.monotonicNs()
        let startedUTC = mapping.now()
        var kit = SimulatedFieldKit(configuration: configuration, startedUTC: startedUTC, seed: seed)
        // Nothing to play (no serial port, no GPIO sensor in a zone): stay
        // quiet until stopped instead of searching forever for an input.
        if kit.isSilent {
            while !Task.isCancelled { try? await mapping.sleep(forNs: 3_600_000_000_000) }
            return
        }
        while !Task.isCancelled {
            let input = kit.next()
            let due = start + Int64(Double(input.t) / speed)
            var t = startedUTC + input.t
            if due > mapping.monotonicNs() {
                sink.flush()
                do { try await mapping.sleep(untilMonotonic: due) } catch { return }
            } else {
                // Behind schedule (a busy box): stamp the input now, as real
                // hardware would, never in the past of what the hot path may
                // already have closed. Per source the times stay in order.
                t = max(t, mapping.now())
            }
            switch input {
            case .edge(_, let line, let rising):
                sink.offerEdge(line: line, rising: rising, t: t)
            case .serial(_, let port, let bytes):
                bytes.withUnsafeBytes { _ = sink.offerSerial(port: port, t: t, bytes: $0) }
            case .gap(_, let port):
                sink.offerGap(port: port, t: t)
            }
        }
    }
}
