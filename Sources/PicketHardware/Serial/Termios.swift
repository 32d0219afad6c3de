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

    /// The baud rate of a termios speed constant, for messages.
    static func baud(speed: speed_t) -> Int? {
        [
            50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115_200,
            230_400, 460_800, 500_000, 576_000, 921_600, 1_000_000, 1_152_000, 1_500_000, 2_000_000, 2_500_000,
            3_000_000, 3_500_000, 4_000_000,
        ].first { Self.speed(baud: $0) == speed }
    }

    /// Turns `t` into raw 8N1 at `speed`, receiver on, modem lines ignored.
    ///
    /// Raw because sentences must reach the framer byte for byte: a cooked
    /// line discipline would turn `\r` into `\n`, swallow XON/XOFF and ^C,
    /// and echo back to the receiver. CLOCAL because a radio receiver has no
    /// carrier detect, and without it the port would wait for one. HUPCL
    /// off because it drops DTR at every close, and an Arduino or ESP32
    /// receiver resets on that: at every reload and restart it would miss
    /// what the sensors sent while it rebooted.
    /// VMIN = VTIME = 0 because `poll` does the waiting.
    static func makeRaw8N1(_ t: inout termios, speed: speed_t) {
        cfmakeraw(&t)
        // cfmakeraw leaves software flow control on the input side and the
        // stop bits, hardware flow control and hangup-on-close as they were.
        t.c_iflag &= ~tcflag_t(IXOFF | IXANY)
        t.c_cflag &= ~(tcflag_t(CSIZE | PARENB | CSTOPB | HUPCL) | tcflag_t(CRTSCTS))
        t.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
    }

    /// What of `makeRaw8N1`'s settings the port did not take, as read back
    /// after `tcsetattr` (which succeeds when any one change was made): nil
    /// when all took, else the unhealthy detail.
    static func settingsNotTaken(_ t: termios, path: String, baud: Int, speed: speed_t) -> String? {
        var t = t
        let input = cfgetispeed(&t)
        let output = cfgetospeed(&t)
        if input != speed || output != speed {
            let reads = [output, input].map { Self.baud(speed: $0).map(String.init) ?? "an unknown rate" }
            let readBack = reads[0] == reads[1] ? reads[0] : "\(reads[0]) out, \(reads[1]) in"
            return "\(path): the adapter did not take \(baud) baud (reads back \(readBack)); "
                + "use a rate the adapter supports, or check its driver (`dmesg`)"
        }
        var wrong: [String] = []
        if t.c_cflag & tcflag_t(CSIZE) != tcflag_t(CS8) { wrong.append("not 8 data bits") }
        if t.c_cflag & tcflag_t(PARENB) != 0 { wrong.append("parity on") }
        if t.c_cflag & tcflag_t(CSTOPB) != 0 { wrong.append("2 stop bits") }
        if t.c_cflag & tcflag_t(CRTSCTS) != 0 { wrong.append("hardware flow control on") }
        if t.c_cflag & tcflag_t(CLOCAL | CREAD) != tcflag_t(CLOCAL | CREAD) { wrong.append("receiver or CLOCAL off") }
        if t.c_cflag & tcflag_t(HUPCL) != 0 { wrong.append("hangup on close (HUPCL) on") }
        if t.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) != 0 { wrong.append("line editing or echo on") }
        if t.c_iflag & tcflag_t(ICRNL | INLCR | IGNCR | IXON | IXOFF | IXANY | ISTRIP) != 0 {
            wrong.append("input translation or XON/XOFF on")
        }
        if t.c_oflag & tcflag_t(OPOST) != 0 { wrong.append("output processing on") }
        guard !wrong.isEmpty else { return nil }
        return "\(path): the adapter did not take raw 8N1 at \(baud) baud (reads back "
            + wrong.joined(separator: ", ") + "); check its driver (`dmesg`)"
    }

    /// Opens `path` (following symlinks such as `/dev/serial/by-id/...`) as
    /// a raw 8N1 port at `speed`, for this process alone; returns the
    /// nonblocking descriptor.
    ///
    /// O_NOCTTY so a daemon without a terminal never acquires the port as
    /// its controlling terminal (a hangup would then signal it); O_NONBLOCK
    /// so neither the open (waiting for carrier) nor a read ever blocks.
    ///
    /// Exclusive, because two readers of one port each get part of the
    /// bytes and sentences fail their checksum: a `flock` keeps out every
    /// other picket (root included) and whatever else locks ports; TIOCEXCL
    /// then refuses any further open (EBUSY) except by root. The lock comes
    /// first so a refused open never leaves TIOCEXCL set on another's port.
    static func openRaw(path: String, baud: Int, speed: speed_t) throws(SerialOpenError) -> Int32 {
        let fd: Int32
        do throws(SystemError) {
            fd = try SystemCall.retrying("open", path) { open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
        } catch {
            throw SerialOpenError.opening(error, path: path)
        }
        do throws(SerialOpenError) {
            do throws(SystemError) {
                _ = try SystemCall.retrying("flock", path) { flock(fd, LOCK_EX | LOCK_NB) }
            } catch {
                guard error.errno == EWOULDBLOCK else { throw SerialOpenError.system(error) }
                throw SerialOpenError.busy(path: path, holder: PortHolders.describe(path: path, excluding: fd))
            }
            var readBack = termios()
            do throws(SystemError) {
                _ = try SystemCall.retrying("ioctl TIOCEXCL", path) { ioctl(fd, UInt(TIOCEXCL)) }
                var t = termios()
                _ = try SystemCall.retrying("tcgetattr", path) { tcgetattr(fd, &t) }
                makeRaw8N1(&t, speed: speed)
                _ = try SystemCall.retrying("tcsetattr", path) { tcsetattr(fd, TCSANOW, &t) }
                _ = try SystemCall.retrying("tcgetattr", path) { tcgetattr(fd, &readBack) }
            } catch {
                throw SerialOpenError.system(error)
            }
            if let detail = settingsNotTaken(readBack, path: path, baud: baud, speed: speed) {
                throw SerialOpenError.settingsNotTaken(path: path, detail: detail)
            }
            return fd
        } catch {
            // Closing also releases the lock and, as the last close, TIOCEXCL.
            close(fd)
            throw error
        }
    }
}
