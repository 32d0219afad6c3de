import PicketCore

/// Where drivers put raw inputs. Live this is the `InputHub` (never blocks);
/// in a replay it is a lock-step sink that processes when its ring fills.
/// Times are UTC nanoseconds: mapping a driver's own clock to UTC is the
/// driver's job, so nothing downstream knows which driver fed it.
public protocol InputSink: Sendable {
    /// Offers one edge of the configured GPIO line at index `line`.
    @discardableResult func offerEdge(line: Int, rising: Bool, t: Int64) -> Bool
    /// Offers the bytes of one read of the configured serial port at index `port`.
    @discardableResult func offerSerial(port: Int, t: Int64, bytes: UnsafeRawBufferPointer) -> Bool
    /// Re-offers inputs held back by an overflow. A driver calls it when it
    /// is idle (before it sleeps or waits for the hardware) and when it stops;
    /// like the offers, only from the driver's own thread or task. Returns
    /// false while something is still held back (the ring is still full).
    @discardableResult func flush() -> Bool
    /// The port's byte stream broke (unplugged, reopened): the framer drops a
    /// half sentence instead of joining it to the next one.
    func offerGap(port: Int, t: Int64)
    /// Every input of `source` stamped up to `t` has been offered (its watermark).
    func delivered(_ source: InputHub.Source, through t: Int64)
    /// The driver is about to wait for the hardware: what it offers next is
    /// stamped no earlier than `lagNs` before it wakes.
    func waiting(_ source: InputHub.Source, lagNs: Int64)
    /// The driver cannot say up to when it delivered (something is held back).
    func markUnknown(_ source: InputHub.Source)
}

/// A sink that keeps no watermarks (a replay in lock step, a test's) ignores them.
extension InputSink {
    public func delivered(_ source: InputHub.Source, through t: Int64) {}
    public func waiting(_ source: InputHub.Source, lagNs: Int64) {}
    public func markUnknown(_ source: InputHub.Source) {}
}

extension InputHub: InputSink {}

/// Something that feeds raw inputs until it ends or its task is cancelled.
public protocol InputDriver: Sendable {
    /// A short name for logs (`replay`, `simulated field kit`, `libgpiod gpiochip0`).
    var name: String { get }
    func run(into sink: any InputSink) async throws
}

/// A driver of the configured GPIO lines (libgpiod, simulated, replay).
public protocol GPIOEdgeSource: InputDriver {}

/// A driver of the configured serial ports (termios, simulated, replay).
public protocol SerialByteSource: InputDriver {}
