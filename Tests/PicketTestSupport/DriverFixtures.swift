import Foundation
import Logging
import PicketHardware
import Synchronization
import Testing

/// Records what a driver offers, from the driver's thread.
public final class CollectingSink: InputSink {
    public enum Item: Equatable, Sendable {
        case edge(line: Int, rising: Bool, t: Int64)
        case chunk(port: Int, t: Int64, bytes: [UInt8])
        case gap(port: Int, t: Int64)

        public var bytes: [UInt8] {
            if case .chunk(_, _, let bytes) = self { bytes } else { [] }
        }
    }

    private let items = Mutex<[Item]>([])
    private let flushes = Atomic<Int>(0)

    public init() {}

    public func offerEdge(line: Int, rising: Bool, t: Int64) -> Bool {
        items.withLock { $0.append(.edge(line: line, rising: rising, t: t)) }
        return true
    }

    public func offerSerial(port: Int, t: Int64, bytes: UnsafeRawBufferPointer) -> Bool {
        items.withLock { $0.append(.chunk(port: port, t: t, bytes: Array(bytes))) }
        return true
    }

    public func flush() -> Bool {
        flushes.add(1, ordering: .relaxed)
        return true
    }

    public func offerGap(port: Int, t: Int64) {
        items.withLock { $0.append(.gap(port: port, t: t)) }
    }

    public var recorded: [Item] { items.withLock { $0 } }
    public var flushCount: Int { flushes.load(ordering: .relaxed) }

    /// Every byte offered, in order.
    public var bytes: [UInt8] { items.withLock { $0.flatMap(\.bytes) } }

    /// Every edge offered, in order.
    public var edges: [(line: Int, rising: Bool, t: Int64)] {
        items.withLock { items in
            items.compactMap { if case .edge(let line, let rising, let t) = $0 { (line, rising, t) } else { nil } }
        }
    }

    public var gapTimes: [Int64] {
        items.withLock { items in
            items.compactMap { if case .gap(_, let t) = $0 { t } else { nil } }
        }
    }

    public var gaps: Int { gapTimes.count }
}

/// Keeps every log record, to check that an outage is logged once.
public final class CapturedLog: Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata = [:]
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    public var all: [Record] { records.withLock { $0 } }

    public func count(_ level: Logger.Level) -> Int { all.count { $0.level == level } }

    public var logger: Logger {
        Logger(label: "picket-driver-test") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.records.withLock {
                $0.append(Record(level: event.level, message: "\(event.message)", metadata: merged))
            }
        }
    }
}

/// Every status a health board received, kept across `take()` calls.
public final class HealthLog {
    public let board = DriverHealthBoard()
    private var seen: [DriverStatus] = []

    public init() {}

    public var statuses: [DriverStatus] {
        seen += board.take()
        return seen
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting: \(what)" }
}

/// Polls `condition` every 10 ms until it holds; fails the test after
/// `timeout`, which is generous because CI machines are small and busy (two
/// cores under a parallel suite of child processes; 10 s was seen too short,
/// and 30 s when the whole suite of 750 tests starts at once: a sender's
/// first deliveries waited that long for a thread). It bounds a wait, not
/// a speed: the condition ends it as soon as it holds.
public func eventually(
    _ what: String, timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try !condition() {
        guard clock.now < deadline else {
            Issue.record("timed out waiting: \(what)", sourceLocation: sourceLocation)
            throw TimedOut(what: what)
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// An NMEA sentence with its checksum, as the radio receiver sends it.
public func nmeaSentence(_ body: String) -> [UInt8] {
    let checksum = body.utf8.reduce(UInt8(0), ^)
    let hex = String(checksum, radix: 16, uppercase: true)
    return Array("$\(body)*\(hex.count == 1 ? "0" + hex : hex)\r\n".utf8)
}

/// A fresh temporary directory, removed by the caller's `defer`.
public func temporaryDirectory(_ prefix: String = "picket-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs blocking work (waiting for a child process, a long read) on a
/// thread of its own: the cooperative pool has one thread per core (two
/// here), and a test that blocks one starves every async test beside it.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// What a finished child process gave.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
}

/// Runs `executable` to its end without holding a thread of the cooperative
/// pool (its exit arrives through the termination handler), its output going
/// to files: pipes read one after the other would stall a child that fills
/// the second one first.
public func runProcess(
    _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil
) async throws -> ProcessOutput {
    let dir = try temporaryDirectory("picket-process")
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out")
    let err = dir.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    let status = try await withCheckedThrowingContinuation { (done: CheckedContinuation<Int32, any Error>) in
        process.terminationHandler = { done.resume(returning: $0.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            done.resume(throwing: error)
        }
    }
    let text = { (url: URL) in String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
    return ProcessOutput(status: status, out: text(out), err: text(err))
}

/// A started `picket` whose standard error is a file the test can watch.
public final class ChildProcess {
    public let process = Process()
    public let log: URL

    public init(_ binary: URL, _ arguments: [String], log: URL, environment: [String: String]? = nil) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    /// A test that fails before it stops its child must not leave it
    /// running: an orphaned daemon keeps reopening its port's path and takes
    /// bytes from whichever later test gets that pty number.
    deinit {
        if process.isRunning { process.terminate() }
    }

    public var stderr: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    public func waitForLog(_ text: String, timeout: Duration = .seconds(30)) async throws {
        try await eventually("\"\(text)\" in the log", timeout: timeout) {
            stderr.contains(text) || !process.isRunning
        }
        #expect(stderr.contains(text), "\(stderr)")
    }

    /// SIGTERM, then the exit status.
    public func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        try await waitForExit()
        return process.terminationStatus
    }

    public func waitForExit() async throws {
        let process = process
        try await offThePool { process.waitUntilExit() }
    }
}
