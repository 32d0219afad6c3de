/// The version of this picket: `--version`, `picket_build_info` and the
/// box status all say the same.
public enum PicketVersion {
    public static let current = "0.1.0"
}
