/// Suggests the name a technician probably meant. Typing YAML on a laptop in
/// a field, `debounce` for `debounce_ms` or `zones` for `zone` is far more
/// likely than an intentional new key.
enum Spelling {
    /// The candidate closest to `word`, or nil when none is close enough to
    /// be a helpful guess rather than noise.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let normalized = normalize(word)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let other = normalize(candidate)
            let distance = editDistance(normalized, other)
            let shorter = min(normalized.count, other.count)
            let isPrefix = shorter >= 3 && (normalized.hasPrefix(other) || other.hasPrefix(normalized))
            guard distance <= max(1, normalized.count / 3) || isPrefix else { continue }
            if best == nil || distance < best!.distance {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Case and `-` versus `_` are the commonest slips; they should not
    /// count against a suggestion.
    private static func normalize(_ word: String) -> String {
        String(word.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs)
        let right = Array(rhs)
        guard !left.isEmpty else { return right.count }
        guard !right.isEmpty else { return left.count }
        var previous = Array(0...right.count)
        var current = [Int](repeating: 0, count: right.count + 1)
        for i in 1...left.count {
            current[0] = i
            for j in 1...right.count {
                let substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[right.count]
    }
}
