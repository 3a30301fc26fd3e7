/// How much of a QR code may be damaged and still read: about 7 % (L), 15 % (M), 25 % (Q) or
/// 30 % (H) of its codewords.
public enum QRErrorCorrection: Int, Sendable, CaseIterable, Comparable {
    case low, medium, quartile, high

    /// The two bits the format information carries for the level.
    var formatBits: Int {
        switch self {
        case .low: 1
        case .medium: 0
        case .quartile: 3
        case .high: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// How one version's codewords split into blocks at one level: `groups` of blocks, each with
/// its number of data codewords, every block followed by `ecPerBlock` error-correction ones.
struct QRBlockLayout: Equatable {
    let ecPerBlock: Int
    let groups: [(count: Int, dataCodewords: Int)]

    static func == (a: Self, b: Self) -> Bool {
        a.ecPerBlock == b.ecPerBlock && a.groups.elementsEqual(b.groups) { $0 == $1 }
    }

    var dataCodewords: Int { groups.reduce(0) { $0 + $1.count * $1.dataCodewords } }
    var blockCount: Int { groups.reduce(0) { $0 + $1.count } }
    var totalCodewords: Int { dataCodewords + blockCount * ecPerBlock }
}

/// ISO/IEC 18004's tables for versions 1 to 10 (21 to 57 modules a side): enough for a
/// boarding pass's BCBP string, which is at most a few hundred characters.
enum QRTables {
    static let versions = 1...10

    /// By version, then by level (L, M, Q, H).
    static let blocks: [[QRBlockLayout]] = [
        [.init(7, [(1, 19)]), .init(10, [(1, 16)]), .init(13, [(1, 13)]), .init(17, [(1, 9)])],
        [.init(10, [(1, 34)]), .init(16, [(1, 28)]), .init(22, [(1, 22)]), .init(28, [(1, 16)])],
        [.init(15, [(1, 55)]), .init(26, [(1, 44)]), .init(18, [(2, 17)]), .init(22, [(2, 13)])],
        [.init(20, [(1, 80)]), .init(18, [(2, 32)]), .init(26, [(2, 24)]), .init(16, [(4, 9)])],
        [.init(26, [(1, 108)]), .init(24, [(2, 43)]), .init(18, [(2, 15), (2, 16)]), .init(22, [(2, 11), (2, 12)])],
        [.init(18, [(2, 68)]), .init(16, [(4, 27)]), .init(24, [(4, 19)]), .init(28, [(4, 15)])],
        [.init(20, [(2, 78)]), .init(18, [(4, 31)]), .init(18, [(2, 14), (4, 15)]), .init(26, [(4, 13), (1, 14)])],
        [.init(24, [(2, 97)]), .init(22, [(2, 38), (2, 39)]), .init(22, [(4, 18), (2, 19)]), .init(26, [(4, 14), (2, 15)])],
        [.init(30, [(2, 116)]), .init(22, [(3, 36), (2, 37)]), .init(20, [(4, 16), (4, 17)]), .init(24, [(4, 12), (4, 13)])],
        [.init(18, [(2, 68), (2, 69)]), .init(26, [(4, 43), (1, 44)]), .init(24, [(6, 19), (2, 20)]), .init(28, [(6, 15), (2, 16)])],
    ]

    /// Codewords a version holds in all, whatever the level.
    static let totalCodewords = [26, 44, 70, 100, 134, 172, 196, 242, 292, 346]

    /// The centres of the alignment patterns, along each axis.
    static let alignmentCentres: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
    ]

    static func layout(version: Int, level: QRErrorCorrection) -> QRBlockLayout {
        blocks[version - 1][level.rawValue]
    }
}

extension QRBlockLayout {
    init(_ ecPerBlock: Int, _ groups: [(Int, Int)]) {
        self.init(ecPerBlock: ecPerBlock, groups: groups.map { (count: $0.0, dataCodewords: $0.1) })
    }
}
