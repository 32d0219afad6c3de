import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// `picket check-config --hardware`: opens every configured serial port and
/// requests every GPIO line once, the way the daemon will, and says which
/// are missing, busy or refused, so a technician finds a wrong port or pin
/// before leaving the site rather than in `picket sensors` a week later.
/// Nothing is read; each port and line is given back at once.
public enum HardwareCheck {
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public enum Status: String, Sendable {
            case ok = "OK"
            /// Usable, but something on the box will interfere (a kernel console).
            case warning = "WARNING"
            case problem = "PROBLEM"
        }

        /// `serial[0] /dev/picket-radio`, `gpio[1] gpiochip0 line 22`.
        public var subject: String
        public var status: Status
        public var detail: String

        public var description: String { "\(subject): \(status.rawValue): \(detail)" }
    }

    public static func run(
        configuration: PicketConfiguration, gpioBackend: any GPIOBackend = LibgpiodBackend()
    ) -> [Finding] {
        var findings: [Finding] = []
        for (index, port) in configuration.serial.enumerated() {
            let subject = "serial[\(index)] \(port.port)"
            findings.append(serial(port, subject: subject))
            if let console = KernelConsole.warning(port: port.port) {
                findings.append(Finding(subject: subject, status: .warning, detail: console))
            }
        }
        for (index, line) in configuration.gpio.enumerated() {
            let subject = "gpio[\(index)] \(line.chip) line \(line.line)"
            do throws(GPIORequestError) {
                // As the driver asks for it: sampled values for a `poll_ms` line, else both edges.
                let mode: GPIORequestMode = line.pollMs == nil ? .edges : .values
                let requested = try gpioBackend.request(line, mode: mode, consumer: "picket-check")
                requested.release()
                let how =
                    line.pollMs.map { "requested as an input, sampled every \($0) ms" } ?? "requested for both edges"
                findings.append(Finding(subject: subject, status: .ok, detail: "\(how) (\(line.sensor.id))"))
            } catch {
                findings.append(Finding(subject: subject, status: .problem, detail: error.description))
            }
        }
        return findings
    }

    /// Opens the port exclusively with its settings, as the driver does.
    static func serial(_ port: SerialPortConfig, subject: String) -> Finding {
        guard let speed = Termios.speed(baud: port.baud) else {
            return Finding(
                subject: subject, status: .problem,
                detail: UnsupportedBaudRate(port: port.port, baud: port.baud).description)
        }
        do throws(SerialOpenError) {
            let fd = try Termios.openRaw(path: port.port, baud: port.baud, speed: speed)
            close(fd)
            return Finding(subject: subject, status: .ok, detail: "opened at \(port.baud) baud, 8N1, exclusively")
        } catch {
            return Finding(subject: subject, status: .problem, detail: error.description)
        }
    }
}
