extension Unicode.Scalar {
    /// C0 and C1 controls and DEL, the line and paragraph separators, and
    /// the bidirectional embeddings, overrides, isolates and marks: what a
    /// name in the configuration refuses and a log value escapes.
    public var isControlOrBidi: Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
