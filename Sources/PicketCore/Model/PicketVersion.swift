/// The version of this picket: `picket --version`, `picket_build_info` and
/// the box status's `version` all say the same.
public enum PicketVersion {
    public static let current = "0.1.0"
}
