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

/// How a line is requested: for both edges (the kernel queues its
/// interrupts), or as a plain input whose value is sampled (`poll_ms`, for a
/// line that cannot raise interrupts).
public enum GPIORequestMode: Sendable, Equatable {
    case edges
    case values
}

/// What the kernel says of a requested line and its chip, for the logs: a
/// wrong pin or a wrong chip shows here, not in a healthy status.
public struct GPIOLineInfo: Sendable, Equatable {
    /// `/dev/gpiochip0`.
    public var chipPath: String
    /// The chip's label (`pinctrl-bcm2711`, `pinctrl-rp1`), empty when unknown.
    public var chipLabel: String
    /// The chip's line count.
    public var chipLines: Int
    /// The line's name from the device tree or ACPI (`GPIO17`), nil when it has none.
    public var lineName: String?

    public init(chipPath: String, chipLabel: String, chipLines: Int, lineName: String?) {
        self.chipPath = chipPath
        self.chipLabel = chipLabel
        self.chipLines = chipLines
        self.lineName = lineName
    }
}

/// One GPIO chip the kernel offers.
public struct GPIOChipInfo: Sendable, Equatable {
    public var path: String
    public var label: String
    public var lines: Int

    public init(path: String, label: String, lines: Int) {
        self.path = path
        self.label = label
        self.lines = lines
    }

    /// `gpiochip4` for `/dev/gpiochip4`.
    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }
}

/// A requested line. Used from the GPIO driver's thread only.
public protocol GPIORequestedLine: AnyObject {
    /// The nonblocking descriptor to poll for POLLIN; -1 for a line
    /// requested for its values only.
    var eventFD: Int32 { get }
    /// The chip's and the line's names, as the kernel reports them.
    var info: GPIOLineInfo { get }
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
    /// Requests `config`'s line as an input with its bias and active level,
    /// for both edges or for its values only.
    func request(_ config: GPIOLineConfig, mode: GPIORequestMode, consumer: String) throws(GPIORequestError)
        -> any GPIORequestedLine
    /// Every GPIO chip the kernel offers (empty when that cannot be known),
    /// to say which chip is the header when the configured one is not.
    func chips() -> [GPIOChipInfo]
    /// Which library serves the lines (`libgpiod 2.2`), or why none can, for the log.
    var libraryDescription: String { get }
}

extension GPIOBackend {
    public func chips() -> [GPIOChipInfo] { [] }
    public var libraryDescription: String { String(describing: Self.self) }
}
