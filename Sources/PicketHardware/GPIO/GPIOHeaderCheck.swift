/// Whether the configured chip is the 40-pin header of a Raspberry Pi.
///
/// On a Pi 5 with a kernel before 6.6.45 `gpiochip0` is a chip of the SoC
/// (`gpio-brcmstb@107d508500`) and the header is `gpiochip4`
/// (`pinctrl-rp1`); from 6.6.45 the header is `gpiochip0`. A configuration
/// written for one kernel then reads the wrong pins on the other, and every
/// line looks healthy. Naming the chip by its label works on both.
public enum GPIOHeaderCheck {
    /// The labels of the chips that drive a Raspberry Pi's 40-pin header.
    public static let headerLabels: [String: String] = [
        "pinctrl-rp1": "Raspberry Pi 5",
        "pinctrl-bcm2711": "Raspberry Pi 4",
        "pinctrl-bcm2835": "Raspberry Pi 1-3 and Zero",
    ]

    /// A warning when `configuredChip` names chip 0, chip 0's `label` is not
    /// a header's and another chip's label is; nil otherwise (any other
    /// board, or the right chip).
    public static func warning(configuredChip: String, label: String, chips: [GPIOChipInfo]) -> String? {
        guard ["gpiochip0", "/dev/gpiochip0", "0"].contains(configuredChip), headerLabels[label] == nil else {
            return nil
        }
        guard let header = chips.first(where: { headerLabels[$0.label] != nil && $0.name != "gpiochip0" }) else {
            return nil
        }
        return
            "gpiochip0 is \"\(label)\", not the 40-pin header: the header is \(header.name) \"\(header.label)\" (a Raspberry Pi 5 with a kernel before 6.6.45); set chip: \(header.label) in the configuration, which works on every kernel"
    }
}
