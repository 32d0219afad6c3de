import PicketConfig
import Testing

/// What `check-config` warns about without refusing: serial ports named by
/// enumeration order, which swap when two adapters are found the other way.
@Suite struct ConfigWarningTests {
    @Test func portsNamedByEnumerationOrderAreWarnedAboutWithTheirLine() {
        let yaml = """
            box: b
            sector: s
            serial:
              - {port: /dev/ttyUSB0, baud: 9600}
              - port: /dev/picket-gps
              - port: /dev/ttyACM1
              - {port: /dev/serial/by-id/usb-FTDI_FT232R_PKT0042-if00-port0}
              - {port: /dev/ttyS0}

            """
        #expect(configuration(yaml) != nil, "a warning is no problem")
        #expect(
            ConfigWarnings.check(yaml: yaml, file: "config.yaml").map(\.description) == [
                "config.yaml:4: serial[0].port: /dev/ttyUSB0 may name another adapter after a reboot; "
                    + "use /dev/serial/by-id/... or a udev name such as /dev/picket-radio",
                "config.yaml:6: serial[2].port: /dev/ttyACM1 may name another adapter after a reboot; "
                    + "use /dev/serial/by-id/... or a udev name such as /dev/picket-radio",
            ])
    }

    @Test(arguments: [
        "", "box: [", "serial: /dev/ttyUSB0", "serial:\n  - /dev/ttyUSB0\n", "serial:\n  - {port: [1]}\n",
    ])
    func textThatIsNotAConfigurationGivesNoWarning(yaml: String) {
        #expect(ConfigWarnings.check(yaml: yaml, file: "x.yaml") == [])
    }
}
