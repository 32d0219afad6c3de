import Benchmark
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

// Picket's hot path, measured in process (issue 11):
//
// - NMEA framing and parsing of real receiver lines, handed over in 16-64 byte
//   reads as a serial port delivers them: goal >= 10 M lines/s, no allocation.
// - GPIO edges through the ring and the debouncer: goal >= 20 M edges/s, no
//   allocation.
//
// Names are plain (no spaces or punctuation) because `thresholds check` looks
// the stored files up by the raw name while `thresholds update` writes them
// under a cleaned-up one.
//
// Every benchmark handles exactly 1,000 lines or edges per iteration and runs
// with `scalingFactor: .kilo`, so what the table prints is per line / per edge:
// throughput in lines (edges) per second, time per line, and mallocs per line.
// The thresholds turn any allocation into a failure of
// `swift package benchmark thresholds check` (see Benchmarks/README.md).

let perIteration = 1000

let benchmarks: @Sendable () -> Void = {
    // `swift package benchmark thresholds check` compares each run's p90 with
    // the values stored in Thresholds/ (`thresholds update` writes them) with
    // these tolerances: not one allocation, and throughput and time within
    // 35 % (these machines are shared and noisy).
    let thresholds: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: BenchmarkThresholds(absolute: [.p90: 0]),
        .throughput: BenchmarkThresholds(relative: [.p90: 35]),
        .wallClock: BenchmarkThresholds(relative: [.p90: 35]),
    ]
    let configuration = Benchmark.Configuration(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 50,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100_000,
        thresholds: thresholds
    )
    let corpus = NMEACorpus.load()

    // Framer and parser, as `Processor.handle` uses them for a serial record.
    Benchmark("NMEA-frame-and-parse", configuration: configuration) { benchmark in
        var framer = NMEAFramer()
        var sentences = SentenceTally()
        var window = 0
        benchmark.startMeasurement()
        for _ in 0..<benchmark.scaledIterations.count / perIteration {
            corpus.feed(window: window, into: &framer) { body in sentences.count(SentenceParser.parse(body)) }
            window = (window + 1) % corpus.windows.count
        }
        benchmark.stopMeasurement()
        blackHole(sentences)
        blackHole(framer.counters)
    }

    Benchmark("NMEA-frame-only", configuration: configuration) { benchmark in
        var framer = NMEAFramer()
        var bytes = 0
        var window = 0
        benchmark.startMeasurement()
        for _ in 0..<benchmark.scaledIterations.count / perIteration {
            corpus.feed(window: window, into: &framer) { body in bytes &+= body.count }
            window = (window + 1) % corpus.windows.count
        }
        benchmark.stopMeasurement()
        blackHole(bytes)
    }

    // Edges through the hub a GPIO driver offers them to, drained by the
    // consumer into the debouncer, as the processing thread does.
    Benchmark("GPIO-edges-InputHub-Debouncer", configuration: configuration) { benchmark in
        var bench = EdgeBench(lines: 8)
        let hub = InputHub(lines: 8, ports: 0, capacity: 4096)
        benchmark.startMeasurement()
        for _ in 0..<benchmark.scaledIterations.count / perIteration {
            bench.run(perIteration, hub: hub)
        }
        benchmark.stopMeasurement()
        blackHole(bench.flips)
    }

    Benchmark("GPIO-edges-SPSCRing-Debouncer", configuration: configuration) { benchmark in
        var bench = EdgeBench(lines: 8)
        let ring = SPSCRing(capacity: 4096)
        benchmark.startMeasurement()
        for _ in 0..<benchmark.scaledIterations.count / perIteration {
            bench.run(perIteration, ring: ring)
        }
        benchmark.stopMeasurement()
        blackHole(bench.flips)
    }
}

/// What the parser made of the sentences, so its work cannot be optimised away.
struct SentenceTally {
    var fixes = 0
    var noFixes = 0
    var picket = 0
    var other = 0
    var errors = 0

    @inline(never)
    mutating func count(_ result: Result<Sentence, SentenceError>) {
        switch result {
        case .success(.fix(let fix)): fixes &+= fix.position.lat > 0 ? 1 : 2
        case .success(.noFix): noFixes &+= 1
        case .success(.detection(_, let seq, _, _)), .success(.capture(_, let seq, _, _)): picket &+= seq
        case .success(.status(_, let mv, _, _)): picket &+= mv
        case .success(.other): other &+= 1
        case .failure: errors &+= 1
        }
    }
}

/// Real receiver logs from gpsd's regression suite (`../shared/data/nmea-gpsd`,
/// or the folder `PICKET_NMEA_DATA` names), every `$` line of every log with
/// its line end, plus one of Picket's own sentences after every ten lines. Cut
/// into windows of exactly 1,000 lines (the last one filled up from the start),
/// each pre-split into reads of 16 to 64 bytes.
struct NMEACorpus: Sendable {
    /// Reads of each window: offsets into `bytes`.
    let windows: [[Range<Int>]]
    let bytes: [UInt8]

    static let picketSentences = [
        "PGSD,seis-7,12,FOOT,64", "PGSS,seis-7,3710,21.5,0", "PCAM,cam-2,7,PIR,img-000123",
        "PGSD,seis-12,65535,VEH,100", "PGSS,mag-3,2980,-4.25,1",
    ]

    static func load() -> NMEACorpus {
        let folder =
            getenv("PICKET_NMEA_DATA").map { String(cString: $0) }
            ?? (String(#filePath).split(separator: "/", omittingEmptySubsequences: false).dropLast(5)
                .joined(separator: "/") + "/shared/data/nmea-gpsd")
        var lines: [[UInt8]] = []
        for name in logNames(in: folder).sorted() {
            guard let data = readFile(folder + "/" + name) else { continue }
            for line in data.split(separator: 0x0A) where line.first == 0x24 {
                var line = Array(line)
                if line.last != 0x0D { line.append(0x0D) }
                line.append(0x0A)
                lines.append(line)
                if lines.count % 11 == 10 {
                    let body = picketSentences[lines.count / 11 % picketSentences.count]
                    lines.append(Array(framed(body).utf8))
                }
            }
        }
        precondition(lines.count >= perIteration, "no NMEA logs found in \(folder): set PICKET_NMEA_DATA")
        var bytes: [UInt8] = []
        var windows: [[Range<Int>]] = []
        var next = 0
        var random = SplitMix(seed: 0x5049_434B_4554)
        let windowCount = (lines.count + perIteration - 1) / perIteration
        for _ in 0..<windowCount {
            let start = bytes.count
            for _ in 0..<perIteration {
                bytes += lines[next]
                next = (next + 1) % lines.count
            }
            var reads: [Range<Int>] = []
            var offset = start
            while offset < bytes.count {
                let end = min(bytes.count, offset + 16 + Int(random.next() % 49))
                reads.append(offset..<end)
                offset = end
            }
            windows.append(reads)
        }
        return NMEACorpus(windows: windows, bytes: bytes)
    }

    @inline(__always)
    func feed(window: Int, into framer: inout NMEAFramer, _ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { all in
            for read in windows[window] {
                framer.feed(UnsafeRawBufferPointer(rebasing: all[read]), body)
            }
        }
    }

    static func framed(_ body: String) -> String {
        let checksum = body.utf8.reduce(UInt8(0), ^)
        let hex = Array("0123456789ABCDEF".utf8)
        return "$\(body)*\(Character(Unicode.Scalar(hex[Int(checksum >> 4)])))"
            + "\(Character(Unicode.Scalar(hex[Int(checksum & 15)])))\r\n"
    }

    static func logNames(in folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasSuffix(".log") { names.append(name) }
        }
        return names
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return data
    }
}

/// Deterministic pseudo-random numbers, so every run reads the same chunks.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bouncing contacts on several lines: each line bounces a few times, 50 µs
/// apart, then settles for longer than its 5 ms window, so bursts open and
/// close (flips and glitches) all the time. Time runs on across iterations.
struct EdgeBench {
    let lines: Int
    var debouncer: Debouncer
    var t: Int64 = 1_000_000_000
    var edge = 0
    var level: [Bool]
    var flips = 0

    init(lines: Int) {
        self.lines = lines
        debouncer = Debouncer(
            windowsNs: Array(repeating: 5_000_000, count: lines), activeHigh: Array(repeating: true, count: lines))
        level = Array(repeating: false, count: lines)
    }

    /// The next edge: round robin over the lines; every 8th edge of the
    /// stream is followed by a quiet 6 ms, which closes every open burst.
    @inline(__always)
    mutating func nextEdge() -> RawInput {
        let line = edge % lines
        edge &+= 1
        t &+= edge % 8 == 0 ? 6_000_000 : 50_000
        level[line].toggle()
        return .edge(line: line, rising: level[line], t: t)
    }

    @inline(__always)
    mutating func consume(_ input: RawInput) {
        debouncer.advance(to: input.t) { flips &+= $0.line &+ 1 }
        debouncer.edge(line: Int(input.source), rising: input.rising, at: input.t) { flips &+= $0.line &+ 1 }
    }

    mutating func run(_ count: Int, hub: InputHub) {
        var left = count
        while left > 0 {
            let batch = min(left, 256)
            for _ in 0..<batch {
                let input = nextEdge()
                hub.offerEdge(line: Int(input.source), rising: input.rising, t: input.t)
            }
            hub.drainRound { consume($0) }
            left -= batch
        }
    }

    mutating func run(_ count: Int, ring: SPSCRing) {
        var left = count
        while left > 0 {
            let batch = min(left, 256)
            for _ in 0..<batch { _ = ring.push(nextEdge()) }
            ring.drain { consume($0) }
            left -= batch
        }
    }
}
