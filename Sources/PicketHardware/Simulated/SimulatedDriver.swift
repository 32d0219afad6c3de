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
    /// Wall-clock UTC at start, for mapping the kit's clock to event times.
    private let utcNow: @Sendable () -> Int64

    public init(
        configuration: PicketConfiguration, seed: UInt64 = 7, speed: Double = 1,
        utcNow: @escaping @Sendable () -> Int64
    ) {
        self.configuration = configuration
        self.seed = seed
        self.speed = max(0.001, speed)
        self.utcNow = utcNow
    }

    public func run(into sink: any InputSink) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let startedUTC = utcNow()
        var kit = SimulatedFieldKit(configuration: configuration, startedUTC: startedUTC, seed: seed)
        // Nothing to play (no serial port, no GPIO sensor in a zone): stay
        // quiet until stopped instead of searching forever for an input.
        if kit.isSilent {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        while !Task.isCancelled {
            let input = kit.next()
            let due = start + .nanoseconds(Int64(Double(input.t) / speed))
            var t = startedUTC + input.t
            if due > clock.now {
                sink.flush()
                do { try await clock.sleep(until: due) } catch { return }
            } else {
                // Behind schedule (a busy box): stamp the input now, as real
                // hardware would, never in the past of what the hot path may
                // already have closed. Per source the times stay in order.
                t = max(t, utcNow())
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
