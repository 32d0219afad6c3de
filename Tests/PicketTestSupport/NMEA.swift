/// `$body*hh\r\n` with the NMEA checksum (XOR of the bytes between `$` and `*`).
public func nmeaFrame(_ body: String) -> String {
    let checksum = body.utf8.reduce(UInt8(0)) { $0 ^ $1 }
    let hex = String(checksum, radix: 16, uppercase: true)
    return "$" + body + "*" + (hex.count == 1 ? "0" + hex : hex) + "\r\n"
}

/// The bytes of a framed `$PGSD` detection from `sensor`.
public func detectionFrame(_ sensor: String, seq: Int) -> [UInt8] {
    Array(nmeaFrame("PGSD,\(sensor),\(seq),FOOT,50").utf8)
}
