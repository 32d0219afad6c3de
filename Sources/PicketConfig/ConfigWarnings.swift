import Yams

/// What a valid configuration may still get wrong on a box, said by
/// `picket check-config` and logged by `picket run` but refused by neither.
public enum ConfigWarnings {
    /// The warnings for configuration text that loaded, located like
    /// problems (`file:line: key: message`). Text that does not compose
    /// gives none: its problems are the loader's to report.
    public static func check(yaml: String, file: String) -> [ConfigProblem] {
        let reader = ConfigReader(file: file)
        guard let root = DocumentComposer.compose(yaml, reader: reader), case .mapping(let top) = root,
            let serial = top["serial"], case .sequence(let ports) = serial
        else { return [] }
        var warnings: [ConfigProblem] = []
        for (index, entry) in ports.enumerated() {
            guard case .mapping(let map) = entry, let node = map["port"], case .scalar(let scalar) = node,
                let message = unstablePortName(scalar.string)
            else { continue }
            warnings.append(
                ConfigProblem(
                    file: file, line: node.mark?.line, column: node.mark?.column,
                    key: ConfigPath.document.key("serial").index(index).key("port").description, message: message))
        }
        return warnings
    }

    /// The warning for a serial port named by enumeration order: two USB
    /// adapters take /dev/ttyUSB0 and /dev/ttyUSB1 in whichever order they
    /// are found at boot, so the radio and the GPS can swap.
    static func unstablePortName(_ port: String) -> String? {
        guard port.hasPrefix("/dev/ttyUSB") || port.hasPrefix("/dev/ttyACM") else { return nil }
        return "\(port) may name another adapter after a reboot; use /dev/serial/by-id/... or a udev name "
            + "such as /dev/picket-radio"
    }
}
