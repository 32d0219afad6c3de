import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// Why a line could not be had, naming chip and line so the technician
/// knows which wire or which config entry to look at, and what to do.
public struct GPIORequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// No chip answers to that name, path, label or number.
        case noSuchChip
        /// The path exists but is no GPIO character device (`/dev/null`).
        case notAChip(path: String)
        /// The chip has `lines` lines; the offset is not one of them.
        case noSuchLine(lines: Int)
        /// Another consumer holds the line (`consumer` when the kernel says who).
        case busy(consumer: String?)
        /// The chip's device node is not ours to open: who owns it, and who we are.
        case permissionDenied(path: String, group: String, mode: String, user: String)
        /// The line can be read but cannot raise interrupts (x86 Super-I/O
        /// GPIO, many I2C and USB expanders): it needs `poll_ms`.
        case noInterrupt
        /// The kernel or the chip refused the configured bias.
        case biasRefused(bias: LineBias, errno: Int32)
        /// Neither libgpiod 1 (libgpiod.so.2) nor libgpiod 2 (libgpiod.so.3) could be loaded.
        case libraryMissing(detail: String)
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
        case .notAChip(let path):
            return "\(subject): \(path) is not a GPIO chip (gpiodetect lists the chips)"
        case .noSuchLine(let lines):
            return "\(subject): no such line (\(chip) has \(lines) lines, 0-\(max(0, lines - 1)))"
        case .busy(let consumer):
            return "\(subject): line is busy" + (consumer.map { " (held by \"\($0)\")" } ?? "")
        case .permissionDenied(let path, let group, let mode, let user):
            return
                "\(subject): permission denied: \(path) is group \(group) mode \(mode); add user \(user) to group \(group) (or install Hardware/udev/60-picket.rules)"
        case .noInterrupt:
            return "\(subject): line has no interrupt; set gpio[].poll_ms to sample it"
        case .biasRefused(let bias, let errno):
            return
                "\(subject): bias \(bias.rawValue) refused (\(String(cString: strerror(errno)))): a line bias needs Linux 5.5 or later and a chip with pin configuration; remove bias: and fit an external pull resistor"
        case .libraryMissing(let detail):
            return "\(subject): \(detail)"
        case .failed(let error):
            return "\(subject): \(error.call) failed: \(error.reason) (errno \(error.errno))"
        }
    }
}

extension GPIORequestError.Reason {
    /// Permission denied on `path`, with the owner group and mode read from
    /// the node itself and the user this process runs as.
    static func permissionDenied(path: String) -> Self {
        var info = stat()
        var group = "?"
        var mode = "?"
        if stat(path, &info) == 0 {
            mode = "0" + String(info.st_mode & 0o777, radix: 8)
            if let entry = getgrgid(info.st_gid), let name = entry.pointee.gr_name {
                group = String(cString: name)
            } else {
                group = String(info.st_gid)
            }
        }
        var user = "picket"
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { user = String(cString: name) }
        return .permissionDenied(path: path, group: group, mode: mode, user: user)
    }

    /// What a failed line request means, from its errno. `probe` tries the
    /// line again as a plain input with the given bias (and gives it back)
    /// and says whether that worked: an edge request that fails where a plain
    /// input works is a line without an interrupt, and a request that works
    /// only without bias is a refused bias (Linux before 5.5, or a chip that
    /// checks). `consumer` asks the kernel who holds a busy line.
    static func diagnose(
        _ error: SystemError, mode: GPIORequestMode, bias: LineBias, chipPath: String,
        probe: (LineBias) -> Bool, consumer: () -> String?
    ) -> Self {
        switch error.errno {
        case EBUSY:
            return .busy(consumer: consumer())
        case EACCES, EPERM:
            return .permissionDenied(path: chipPath)
        case EINVAL, EOPNOTSUPP, ENODEV, ENXIO:
            if mode == .edges && probe(bias) { return .noInterrupt }
            if bias != .asIs && probe(.asIs) { return .biasRefused(bias: bias, errno: error.errno) }
            return .failed(error)
        default:
            return .failed(error)
        }
    }
}

extension GPIORequestError.Reason {
    /// What a failed `gpiod_chip_open` of `path` means.
    static func opening(_ path: String, _ error: SystemError) -> Self {
        switch error.errno {
        case ENOENT: .noSuchChip
        // libgpiod 1 says ENOTTY for a node that is no GPIO chip, libgpiod 2 ENODEV.
        case ENOTTY, ENODEV: .notAChip(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        default: .failed(error)
        }
    }
}
