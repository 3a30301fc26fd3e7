/// A QR code (ISO/IEC 18004, model 2) of some bytes, in byte mode: a square of dark and light
/// modules, quiet zone not included. Pure: no I/O, the same input always gives the same code.
public struct QRCode: Sendable, Equatable {
    public enum EncodingError: Error, Equatable, CustomStringConvertible {
        /// More bytes than the largest version supported holds at the level asked for.
        case tooLong(bytes: Int, capacity: Int)

        public var description: String {
            switch self {
            case .tooLong(let bytes, let capacity):
                "\(bytes) bytes do not fit a QR code of versions \(QRTables.versions) (at most \(capacity) at this level)"
            }
        }
    }

    public let version: Int
    public let level: QRErrorCorrection
    /// Which of the eight masks was applied (the one with the lowest penalty).
    public let mask: Int
    /// Modules a side: 17 + 4 × version.
    public let size: Int
    /// Row by row; `true` is dark.
    public let modules: [[Bool]]

    /// The smallest code that holds `bytes` at `level` or better; the level is raised while the
    /// version stays the same, as encoders commonly do.
    public init(bytes: [UInt8], level: QRErrorCorrection = .medium) throws(EncodingError) {
        guard let version = QRTables.versions.first(where: { Self.capacity(version: $0, level: level) >= bytes.count }) else {
            throw .tooLong(bytes: bytes.count, capacity: Self.capacity(version: QRTables.versions.upperBound, level: level))
        }
        let level = QRErrorCorrection.allCases.last { $0 >= level && Self.capacity(version: version, level: $0) >= bytes.count } ?? level
        let codewords = Self.codewords(bytes, version: version, level: level)
        var matrix = QRMatrix(version: version)
        matrix.drawFunctionPatterns()
        matrix.place(codewords)
        let candidates = (0..<8).map { mask in
            var masked = matrix
            masked.apply(mask: mask)
            masked.drawFormat(level: level, mask: mask)
            return (mask, masked)
        }
        let (mask, best) = candidates.min { $0.1.penalty < $1.1.penalty }!
        self.version = version
        self.level = level
        self.mask = mask
        self.size = best.size
        self.modules = best.modules
    }

    public init(text: String, level: QRErrorCorrection = .medium) throws(EncodingError) {
        try self.init(bytes: Array(text.utf8), level: level)
    }

    /// Bytes a version holds at a level in byte mode: the data codewords less the mode and count.
    static func capacity(version: Int, level: QRErrorCorrection) -> Int {
        let bits = QRTables.layout(version: version, level: level).dataCodewords * 8 - 4 - countBits(version: version)
        return bits / 8
    }

    static func countBits(version: Int) -> Int { version < 10 ? 8 : 16 }

    /// The data in byte mode, terminated and padded, split into blocks with their
    /// error-correction codewords, and interleaved.
    static func codewords(_ bytes: [UInt8], version: Int, level: QRErrorCorrection) -> [UInt8] {
        let layout = QRTables.layout(version: version, level: level)
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: countBits(version: version))
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = layout.dataCodewords * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var data = bits.bytes
        let padding = layout.dataCodewords - data.count
        for i in 0..<padding { data.append(i % 2 == 0 ? 0xEC : 0x11) }
        let divisor = ReedSolomon.divisor(degree: layout.ecPerBlock)
        var blocks: [[UInt8]] = []
        var start = 0
        for group in layout.groups {
            for _ in 0..<group.count {
                blocks.append(Array(data[start..<start + group.dataCodewords]))
                start += group.dataCodewords
            }
        }
        let corrections = blocks.map { ReedSolomon.remainder($0, divisor: divisor) }
        var result: [UInt8] = []
        for i in 0..<(blocks.map(\.count).max() ?? 0) {
            for block in blocks where i < block.count { result.append(block[i]) }
        }
        for i in 0..<layout.ecPerBlock {
            for correction in corrections { result.append(correction[i]) }
        }
        return result
    }
}

/// Bits appended most significant first.
struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
    }

    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<min(start + 8, bits.count)].enumerated().reduce(UInt8(0)) { $0 | ($1.element ? 0x80 >> $1.offset : 0) }
        }
    }
}
