/// The console password check.
enum Password {
    /// Compares in time that depends only on the secret's length, never on where the first
    /// difference is, so timing tells a guesser nothing about a prefix being right.
    static func matches(_ typed: [UInt8], secret: [UInt8]) -> Bool {
        var difference: UInt8 = typed.count == secret.count ? 0 : 1
        for i in 0..<secret.count {
            // Where the typed text is shorter, compare against the complement of the secret's
            // byte, which always differs, so every position costs the same.
            let t: UInt8 = i < typed.count ? typed[i] : ~secret[i]
            difference |= t ^ secret[i]
        }
        return difference == 0 && !secret.isEmpty
    }
}
