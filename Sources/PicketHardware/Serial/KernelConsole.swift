import Foundation

/// Whether the kernel command line puts a console on a serial port.
///
/// A Pi image often boots with `console=serial0,115200`: the kernel writes
/// its messages to that UART and a getty reads from it, so a radio receiver
/// wired there gets log lines sent to it and Picket loses bytes to the
/// login prompt. Names are compared after resolving links (`serial0` is a
/// link to `ttyS0` or `ttyAMA0`), so either spelling is caught.
public enum KernelConsole {
    /// The devices of the `console=` parameters, without their options:
    /// `console=ttyS0,115200n8 console=tty1` gives `ttyS0` and `tty1`.
    static func consoles(cmdline: String) -> [String] {
        cmdline.split(whereSeparator: \.isWhitespace).compactMap { word in
            guard word.hasPrefix("console=") else { return nil }
            let name = word.dropFirst("console=".count).prefix { $0 != "," }
            return name.isEmpty ? nil : String(name)
        }
    }

    /// The consoles of this box: the kernel command line's, and the active
    /// ones sysfs lists (the service's sandbox, `ProcSubset=pid`, hides
    /// `/proc/cmdline` but not `/sys`).
    static func systemConsoles() -> [String] {
        let cmdline = (try? String(contentsOfFile: "/proc/cmdline", encoding: .utf8)) ?? ""
        let active = (try? String(contentsOfFile: "/sys/class/tty/console/active", encoding: .utf8)) ?? ""
        var names = consoles(cmdline: cmdline)
        for name in active.split(whereSeparator: \.isWhitespace).map(String.init) where !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// The warning for `port` when one of `consoles` (`console=` values of
    /// the kernel command line) is that port, nil otherwise. `devices` is
    /// where console names live (`/dev`).
    public static func warning(port: String, devices: String = "/dev") -> String? {
        warning(port: port, consoles: systemConsoles(), devices: devices)
    }

    static func warning(port: String, cmdline: String?, devices: String) -> String? {
        warning(port: port, consoles: cmdline.map(consoles(cmdline:)) ?? [], devices: devices)
    }

    static func warning(port: String, consoles: [String], devices: String) -> String? {
        let target = resolved(port)
        for console in consoles {
            let path = devices + "/" + console
            guard resolved(path) == target || sameDevice(path, port) else { continue }
            let tty = URL(fileURLWithPath: target).lastPathComponent
            return "\(port) is a kernel console (console=\(console) on the kernel command line, /proc/cmdline): "
                + "the kernel and a login prompt share the port with Picket; remove console=\(console) "
                + "(/boot/firmware/cmdline.txt on a Raspberry Pi, GRUB_CMDLINE_LINUX in /etc/default/grub "
                + "elsewhere) and run `systemctl disable --now serial-getty@\(tty).service`"
        }
        return nil
    }

    /// The path with every link resolved (the path itself when it does not exist).
    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Both paths name the same existing character device.
    static func sameDevice(_ a: String, _ b: String) -> Bool {
        var sa = stat()
        var sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_mode & S_IFMT == S_IFCHR && sb.st_mode & S_IFMT == S_IFCHR && sa.st_rdev == sb.st_rdev
    }
}
