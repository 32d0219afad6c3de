import PicketCore

/// One line event as the kernel reports it: its timestamp (CLOCK_MONOTONIC
/// since Linux 5.7, CLOCK_REALTIME before) and its direction. For a line
/// requested active-low the direction is the logical one, inverted from the
/// wire's.
public struct GPIOKernelEvent: Sendable, Equatable {
    public var timestampNs: Int64
    public var rising: Bool

    public init(timestampNs: Int64, rising: Bool) {
        self.timestampNs = timestampNs
        self.rising = rising
    }
}

/// A line requested for edge events. Used from the GPIO driver's thread only.
public protocol GPIORequestedLine: AnyObject {
    /// The nonblocking descriptor to poll for POLLIN.
    var eventFD: Int32 { get }
    /// Reads the events queued now, at most `buffer.count`, into `buffer`;
    /// returns how many (0 when none is queued).
    func readEvents(into buffer: inout [GPIOKernelEvent]) throws(SystemError) -> Int
    /// The line's logical value now (active-low applied, like the events).
    func logicalValue() throws(SystemError) -> Bool
    /// Gives the line back to the kernel.
    func release()
}

/// Where GPIO lines come from: libgpiod on a field box, a fake in tests.
/// The driver's batch, resync, timestamp and retry logic sits above it.
public protocol GPIOBackend: Sendable {
    /// Requests `config`'s line for both edges with its bias and active level.
    func request(_ config: GPIOLineConfig, consumer: String) throws(GPIORequestError) -> any GPIORequestedLine
}

/// Why a line could not be had, naming chip and line so the technician
/// knows which wire or which config entry to look at.
public struct GPIORequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// No chip answers to that name, path, label or number.
        case noSuchChip
        /// The chip has `lines` lines; the offset is not one of them.
        case noSuchLine(lines: Int)
        /// Another consumer holds the line (`consumer` when the kernel says who).
        case busy(consumer: String?)
        /// Anything else, with the failed call.
        case failed(SystemError)
    }

    public var chip: String
    public var line: Int
    public var reason: Reason

    public init(chip: String, line: Int, reason: Reason) {
        self.chip = chip
        self.line = line
        self.reason = reason
    }

    public var description: String {
        let subject = "\(chip) line \(line)"
        switch reason {
        case .noSuchChip:
            return "\(subject): no such GPIO chip (is the chip name right, and is the driver loaded?)"
        case .noSuchLine(let lines):
            return "\(subject): no such line (\(chip) has \(lines) lines, 0-\(max(0, lines - 1)))"
        case .busy(let consumer):
            return "\(subject): line is busy" + (consumer.map { " (held by \"\($0)\")" } ?? "")
        case .failed(let error):
            return "\(subject): \(error.call) failed: \(error.reason) (errno \(error.errno))"
        }
    }
}
