/// One raw input as a driver saw it at the hardware boundary, in a fixed-size
/// record so the ring buffer holds inputs inline and never allocates.
///
/// A serial read longer than `RawInput.chunkCapacity` bytes is handed over as
/// several records with the same time; the framer cannot tell the difference.
public struct RawInput: Sendable, BitwiseCopyable {
    public enum Kind: UInt8, Sendable, BitwiseCopyable {
        /// A GPIO edge; `source` is the line's index in the configuration.
        case edge
        /// Serial bytes; `source` is the port's index in the configuration.
        case serial
        /// Bytes of this port were dropped before this record: the framer resets
        /// so half a sentence never joins the next.
        case serialGap
    }

    public static let chunkCapacity = 48

    /// Nanoseconds: UTC in the pipeline.
    public var t: Int64
    public var kind: Kind
    public var rising: Bool
    public var source: UInt16
    public var count: UInt16
    /// A serial record that carries more bytes of the same read as the one before.
    public var continues = false
    public var bytes:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) = (0, 0, 0, 0, 0, 0)

    public static func edge(line: Int, rising: Bool, t: Int64) -> RawInput {
        RawInput(t: t, kind: .edge, rising: rising, source: UInt16(truncatingIfNeeded: line), count: 0)
    }

    public static func gap(port: Int, t: Int64) -> RawInput {
        RawInput(t: t, kind: .serialGap, rising: false, source: UInt16(truncatingIfNeeded: port), count: 0)
    }

    /// Splits `bytes` into serial records of at most `chunkCapacity` bytes.
    public static func serial(port: Int, t: Int64, bytes: UnsafeRawBufferPointer, _ body: (RawInput) -> Void) {
        var offset = 0
        repeat {
            let n = min(chunkCapacity, bytes.count - offset)
            var record = RawInput(
                t: t, kind: .serial, rising: false, source: UInt16(truncatingIfNeeded: port), count: UInt16(n),
                continues: offset > 0)
            withUnsafeMutableBytes(of: &record.bytes) { dst in
                if n > 0 { dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])) }
            }
            body(record)
            offset += n
        } while offset < bytes.count
    }

    /// The serial bytes this record carries.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: bytes) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
    }
}
