import Yams

/// A YAML node together with its key path. Carrying both means any check,
/// however deep, can report the key and the line without being told them.
struct Field {
    let path: ConfigPath
    let node: Node

    /// True for an explicit YAML null (`~`, `null`, or nothing after the
    /// colon), which the loader treats like an absent key: an optional
    /// section left empty with its entries commented out is not a mistake.
    var isNull: Bool {
        guard case .scalar = node else { return false }
        return node.tag.rawValue == Tag.Name.null.rawValue
    }

    /// How the value reads to a person, for "must be X, not Y" messages.
    var shapeDescription: String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar: isNull ? "empty" : "text"
        }
    }
}
