import PicketCore

/// Feeds a recording's inputs as they reached the hardware boundary, with
/// `t` mapped to UTC from the header's `started_utc`. With `realtime` it
/// waits out the recorded gaps; otherwise it runs as fast as the sink takes
/// inputs (the virtual clock is the inputs' own time).
public final class ReplayDriver: GPIOEdgeSource, SerialByteSource, @unchecked Sendable {
    // @unchecked: the reader is used by the one task that runs the replay.
    public let name = "replay"
    public let reader: RecordingReader
    public let realtime: Bool
    /// What real-time pacing sleeps on.
    let clock: any PicketClock

    public init(
        path: String, configuration: PicketConfiguration, realtime: Bool = false,
        clock: any PicketClock = SystemClock()
    ) throws(RecordingError) {
        reader = try RecordingReader(path: path, configuration: configuration)
        self.realtime = realtime
        self.clock = clock
    }

    public var header: RecordingHeader { reader.header }

    public func run(into sink: any InputSink) async throws {
        let start = clock.monotonicNs()
        let started = reader.header.startedUTC
        var pacing: [RecordedInput] = []
        try reader.forEachInput { input in
            if realtime { pacing.append(input) } else { Self.offer(input, started: started, to: sink) }
        }
        // Real-time pacing needs suspension points, which the line reader's
        // callback cannot have; the recording is checked whole first anyway.
        for input in pacing {
            try await clock.sleep(untilMonotonic: start + input.t)
            Self.offer(input, started: started, to: sink)
        }
    }

    /// Reads every input synchronously into `sink` (the virtual clock path).
    /// Serial bytes go from the reader's buffer to the sink without a copy.
    public func runSynchronously(into sink: any InputSink) throws {
        let started = reader.header.startedUTC
        try reader.forEachScannedInput { input in
            switch input.kind {
            case .edge: sink.offerEdge(line: input.index, rising: input.rising, t: started + input.t)
            case .serial: _ = sink.offerSerial(port: input.index, t: started + input.t, bytes: input.bytes)
            case .gap: sink.offerGap(port: input.index, t: started + input.t)
            }
        }
    }

    static func offer(_ input: RecordedInput, started: Int64, to sink: any InputSink) {
        switch input {
        case .edge(let t, let line, let rising):
            sink.offerEdge(line: line, rising: rising, t: started + t)
        case .serial(let t, let port, let bytes):
            bytes.withUnsafeBytes { _ = sink.offerSerial(port: port, t: started + t, bytes: $0) }
        case .gap(let t, let port):
            sink.offerGap(port: port, t: started + t)
        }
    }
}
