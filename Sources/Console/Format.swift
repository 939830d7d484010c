import Foundation

// Human units and aligned tables for the console. Counts of packets stay exact integers (an
// operator compares them with what was sent); bytes use binary units (KiB, MiB, GiB), rates
// decimal ones (Kpps, Mpps, Mbps, Gbps) as link speeds are quoted.

enum Units {
    /// 0 B, 512 B, 1.5 KiB, 98.8 MiB, 1.21 GiB.
    static func bytes<T: BinaryInteger>(_ value: T) -> String {
        let v = Double(value)
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        if v < 1024 { return "\(value) B" }
        var scaled = v / 1024
        var unit = 0
        while scaled >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return decimal(scaled) + " " + units[unit]
    }

    /// 0 pps, 950 pps, 12.3 Kpps, 1.23 Mpps.
    static func packetRate(_ perSecond: Double) -> String { scaled(perSecond, unit: "pps") }

    /// 0 bps, 12.3 Kbps, 632 Mbps, 9.95 Gbps.
    static func bitRate(_ perSecond: Double) -> String { scaled(perSecond, unit: "bps") }

    /// A link speed given in Mbit/s: 100 Mbps, 10 Gbps, 25 Gbps; "unknown" for 0.
    static func linkSpeed(mbps: UInt32) -> String {
        if mbps == 0 { return "unknown" }
        if mbps >= 1000 && mbps % 1000 == 0 { return "\(mbps / 1000) Gbps" }
        if mbps >= 1000 { return decimal(Double(mbps) / 1000) + " Gbps" }
        return "\(mbps) Mbps"
    }

    /// Seconds as "3d 04:05:06" or "04:05:06".
    static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds))
        let days = total / 86400
        let clock = String(format: "%02d:%02d:%02d", (total % 86400) / 3600, (total % 3600) / 60, total % 60)
        return days > 0 ? "\(days)d \(clock)" : clock
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

    private static func scaled(_ value: Double, unit: String) -> String {
        let v = value.isFinite ? max(0, value) : 0
        if v < 1000 { return String(format: "%.0f ", v) + unit }
        let prefixes = ["K", "M", "G", "T"]
        var scaled = v / 1000
        var index = 0
        while scaled >= 1000 && index < prefixes.count - 1 {
            scaled /= 1000
            index += 1
        }
        return decimal(scaled) + " " + prefixes[index] + unit
    }

    /// Three significant digits: 1.23, 12.3, 123.
    private static func decimal(_ v: Double) -> String {
        if v < 10 { return String(format: "%.2f", v) }
        if v < 100 { return String(format: "%.1f", v) }
        return String(format: "%.0f", v)
    }
}

/// A text table whose columns are as wide as their widest cell. Numbers align right.
struct TextTable {
    enum Alignment { case left, right }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    var widths: [Int] {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return widths
    }

    /// The header, then one line per row; two spaces between columns, no trailing spaces.
    func render(indent: String = "") -> String {
        let widths = self.widths
        var out = indent + line(headers, widths) + "\n"
        for row in rows { out += indent + line(row, widths) + "\n" }
        return out
    }

    func line(_ cells: [String], _ widths: [Int]) -> String {
        var parts: [String] = []
        for (i, width) in widths.enumerated() {
            let cell = i < cells.count ? cells[i] : ""
            let pad = String(repeating: " ", count: max(0, width - cell.count))
            parts.append(alignments[i] == .right ? pad + cell : cell + pad)
        }
        var text = parts.joined(separator: "  ")
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}

/// Key-value lines with the keys padded to one width.
struct KeyValueBlock {
    var pairs: [(String, String)] = []

    mutating func add(_ key: String, _ value: String) { pairs.append((key, value)) }

    func render(indent: String = "") -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            indent + key + String(repeating: " ", count: width - key.count) + "  " + value + "\n"
        }.joined()
    }
}

enum JSON {
    /// Pretty-printed with sorted keys, so the same data always prints the same way.
    static func text(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return "{\"error\": \"internal error: the answer could not be encoded as JSON\"}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// One line, for `monitor ... json`, which prints an object per refresh.
    static func line(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{\"error\": \"internal error: the answer could not be encoded as JSON\"}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A rate or ratio that JSON can carry (no NaN or infinity), rounded for reading.
    static func number(_ value: Double, digits: Int = 3) -> Double {
        guard value.isFinite else { return 0 }
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }
}
