#if canImport(Glibc)
    import Glibc
#endif

/// Why a serial port could not be opened and set up, worded as the port's
/// unhealthy detail: what happened to which device, and what to do.
public enum SerialOpenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed (no such device, unplugged during setup...).
    case system(SystemError)
    /// Another process holds the port (its exclusive open or its lock).
    case busy(path: String, holder: String)
    /// The open was refused by permissions; `detail` says which kind and the fix.
    case denied(path: String, detail: String)
    /// The adapter accepted `tcsetattr` but reads back other settings.
    case settingsNotTaken(path: String, detail: String)

    public var description: String {
        switch self {
        case .system(let error): error.description
        case .busy(let path, let holder):
            "\(path): busy: held by \(holder); only one program may read a serial port (stop the other "
                + "reader: a second picket, picket record, gpsd, ModemManager or a getty on this port)"
        case .denied(_, let detail), .settingsNotTaken(_, let detail): detail
        }
    }

    /// The port did not take its settings: a wrong adapter or driver, which
    /// retrying will not fix by itself.
    public var isSettings: Bool {
        if case .settingsNotTaken = self { return true }
        return false
    }

    public var isBusy: Bool {
        if case .busy = self { return true }
        return false
    }

    /// An `open` that failed, worded by errno: busy and the two kinds of
    /// "permission denied" say what to do.
    static func opening(_ error: SystemError, path: String) -> SerialOpenError {
        switch error.errno {
        case EBUSY:
            return .busy(path: path, holder: PortHolders.describe(path: path, excluding: nil))
        case EPERM:
            // EACCES is the file's mode; EPERM on open of a device node is
            // the service's device policy (systemd's DeviceAllow= cgroup
            // filter), which was fixed when the unit started.
            return .denied(
                path: path,
                detail: "\(path): permission denied by the service's device policy (errno EPERM): the adapter's "
                    + "driver was not loaded when picket started, so systemd could not allow its device group; "
                    + "run `systemctl restart picket` (the shipped unit loads usbserial, ftdi_sio and cdc_acm "
                    + "before it starts; add a modprobe@ line for another driver)")
        case EACCES:
            return .denied(
                path: path,
                detail: "\(path): permission denied (errno EACCES): the user running picket may not open it; "
                    + "add that user to the device's group (`ls -l \(path)`; usually dialout), or fix the udev rule")
        default:
            return .system(error)
        }
    }
}
