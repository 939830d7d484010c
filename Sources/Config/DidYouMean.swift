/// Suggestions for misspelt keys, port names and keywords, so a typo is answered with the
/// word that was probably meant instead of a list to search.
enum DidYouMean {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo: at most
    /// one edit for short words, and about one edit per three characters for longer ones.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(lowered, candidate.lowercased())
            if best == nil || d < best!.distance { best = (candidate, d) }
        }
        guard let best else { return nil }
        // An abbreviation ("warn", "promisc") is far from the full word in edits but obvious
        // to a reader, so a candidate that starts with the word is suggested too.
        if lowered.count >= 3, best.distance > 1,
           let full = candidates.filter({ $0.lowercased().hasPrefix(lowered) }).min(by: { $0.count < $1.count }) {
            return full
        }
        let allowed = max(1, min(word.count, best.candidate.count) / 3)
        return best.distance <= allowed ? best.candidate : nil
    }

    /// `; did you mean "x"?` or, with no close candidate, the full list of what is allowed, so
    /// the message always tells the reader what to write.
    static func hint(for word: String, among candidates: [String]) -> String {
        if let s = suggestion(for: word, among: candidates) { return "; did you mean \"\(s)\"?" }
        if candidates.isEmpty { return "" }
        return "; expected one of " + candidates.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    /// Optimal string alignment distance: Levenshtein plus adjacent transposition, because
    /// swapped letters ("wna" for "wan") are the commonest typo and should count as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
