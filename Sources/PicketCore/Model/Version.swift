/// Picket's version: `picket --version`, the box status's `version`.
public enum PicketVersion {
    public static let current = "0.1.0"
}
