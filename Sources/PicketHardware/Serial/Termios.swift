#if canImport(Glibc)
    import Glibc
#endif

/// Opening a serial port the way a radio receiver needs it: raw bytes, 8N1,
/// no flow control, reads that never wait. Kept apart from the driver so the
/// settings can be checked on a plain `termios` without a device.
enum Termios {
    /// The termios speed constant of a baud rate, nil when Linux has none
    /// (termios takes only its fixed `Bxxx` rates, not arbitrary integers).
    static func speed(baud: Int) -> speed_t? {
        let rate: Int32? =
            switch baud {
            case 50: B50
            case 75: B75
            case 110: B110
            case 134: B134
            case 150: B150
            case 200: B200
            case 300: B300
            case 600: B600
            case 1200: B1200
            case 1800: B1800
            case 2400: B2400
            case 4800: B4800
            case 9600: B9600
            case 19200: B19200
            case 38400: B38400
            case 57600: B57600
            case 115_200: B115200
            case 230_400: B230400
            case 460_800: B460800
            case 500_000: B500000
            case 576_000: B576000
            case 921_600: B921600
            case 1_000_000: B1000000
            case 1_152_000: B1152000
            case 1_500_000: B1500000
            case 2_000_000: B2000000
            case 2_500_000: B2500000
            case 3_000_000: B3000000
            case 3_500_000: B3500000
            case 4_000_000: B4000000
            default: nil
            }
        return rate.map { speed_t($0) }
    }

    /// Turns `t` into raw 8N1 at `speed`, receiver on, modem lines ignored.
    ///
    /// Raw because sentences must reach the framer byte for byte: a cooked
    /// line discipline would turn `\r` into `\n`, swallow XON/XOFF and ^C,
    /// and echo back to the receiver. CLOCAL because a radio receiver has no
    /// carrier detect, and without it the port would wait for one.
    /// VMIN = VTIME = 0 because `poll` does the waiting.
    static func makeRaw8N1(_ t: inout termios, speed: speed_t) {
        cfmakeraw(&t)
        // cfmakeraw leaves software flow control on the input side and the
        // stop bits and hardware flow control as they were.
        t.c_iflag &= ~tcflag_t(IXOFF | IXANY)
        t.c_cflag &= ~(tcflag_t(CSIZE | PARENB | CSTOPB) | tcflag_t(CRTSCTS))
        t.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
    }

    /// Opens `path` (following symlinks such as `/dev/serial/by-id/...`) as
    /// a raw 8N1 port at `speed`; returns the nonblocking descriptor.
    ///
    /// O_NOCTTY so a daemon without a terminal never acquires the port as
    /// its controlling terminal (a hangup would then signal it); O_NONBLOCK
    /// so neither the open (waiting for carrier) nor a read ever blocks.
    static func openRaw(path: String, speed: speed_t) throws(SystemError) -> Int32 {
        let fd = try SystemCall.retrying("open", path) { open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        do throws(SystemError) {
            var t = termios()
            _ = try SystemCall.retrying("tcgetattr", path) { tcgetattr(fd, &t) }
            makeRaw8N1(&t, speed: speed)
            _ = try SystemCall.retrying("tcsetattr", path) { tcsetattr(fd, TCSANOW, &t) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }
}
