/// A key path such as `rules[0].all_of.kinds[1]`, spelled the way the YAML
/// reads so a technician can find the key without knowing Picket's types.
struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    /// Empty for the document itself.
    let text: String

    static let document = ConfigPath(text: "")

    func key(_ name: String) -> ConfigPath {
        ConfigPath(text: text.isEmpty ? name : "\(text).\(name)")
    }

    func index(_ index: Int) -> ConfigPath {
        ConfigPath(text: "\(text)[\(index)]")
    }

    /// `(document)` stands in for the empty path so that every problem line
    /// has the same `file:line: key: message` shape.
    var description: String { text.isEmpty ? "(document)" : text }
}
