import Foundation

/// The module matrix of a QR code served as SVG (one path of unit squares `M x yh1v1h-1z`, in a
/// quiet zone), for reading it back with ``QRDecoder``.
public enum SVGModules {
    struct Unreadable: Error, CustomStringConvertible {
        let why: String
        var description: String { "not a QR code SVG: \(why)" }
    }

    public static func parse(_ svg: String, quietZone: Int = 4) throws -> [[Bool]] {
        guard let box = svg.range(of: #"viewBox="0 0 (\d+) \d+""#, options: .regularExpression),
              let side = Int(svg[box].split(separator: " ")[2]),
              let d = svg.range(of: #" d="[^"]*""#, options: .regularExpression)
        else { throw Unreadable(why: "no viewBox or path") }
        let size = side - 2 * quietZone
        var modules = Array(repeating: Array(repeating: false, count: size), count: size)
        for square in svg[d].dropFirst(4).dropLast().split(separator: "z") {
            let numbers = square.dropFirst().split(separator: "h").first?.split(separator: " ").compactMap { Int($0) } ?? []
            guard numbers.count == 2 else { throw Unreadable(why: "a square \(square)") }
            let (x, y) = (numbers[0] - quietZone, numbers[1] - quietZone)
            guard (0..<size).contains(x), (0..<size).contains(y) else { throw Unreadable(why: "a square outside the code") }
            modules[y][x] = true
        }
        return modules
    }
}
