import Foundation
@testable import SkyHighBarcode
import SkyHighTestSupport
import Testing

@Suite struct QRCodeTests {
    /// A boarding pass's mandatory items, 60 characters (IATA BCBP, one leg).
    static let boardingPass = "M1BABBAGE/CHARLES     EABC123 LHRJFKSH 0900 152Y012A0002 100"

    @Test func reedSolomonMatchesTheStandardsExample() {
        // ISO/IEC 18004 annex I: "01234567" at version 1-M gives these data and EC codewords.
        let data: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        let ec = ReedSolomon.remainder(data, divisor: ReedSolomon.divisor(degree: 10))
        #expect(ec == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test func everyLayoutAddsUpToItsVersionsCodewords() {
        for version in QRTables.versions {
            for level in QRErrorCorrection.allCases {
                #expect(QRTables.layout(version: version, level: level).totalCodewords == QRTables.totalCodewords[version - 1],
                        "version \(version) \(level)")
            }
            let side = 17 + 4 * version
            #expect(QRTables.alignmentCentres[version - 1].allSatisfy { $0 < side })
        }
    }

    @Test func theSmallestVersionThatHoldsTheBytesIsChosen() throws {
        #expect(try QRCode(text: "SKYHIGH", level: .medium).version == 1)
        let pass = try QRCode(text: Self.boardingPass, level: .medium)
        #expect(pass.version == 4 && pass.size == 33)
        #expect(pass.modules.count == 33 && pass.modules.allSatisfy { $0.count == 33 })
        #expect(throws: QRCode.EncodingError.tooLong(bytes: 400, capacity: 213)) {
            try QRCode(bytes: [UInt8](repeating: 0x41, count: 400), level: .medium)
        }
    }

    @Test func theFinderPatternsAndTimingAreInPlace() throws {
        let code = try QRCode(text: Self.boardingPass)
        let finder = [[true, true, true, true, true, true, true], [true, false, false, false, false, false, true],
                      [true, false, true, true, true, false, true]]
        for (x, y) in [(0, 0), (code.size - 7, 0), (0, code.size - 7)] {
            for (dy, row) in finder.enumerated() { #expect(Array(code.modules[y + dy][x..<x + 7]) == row) }
        }
        #expect((8..<code.size - 8).allSatisfy { code.modules[6][$0] == ($0 % 2 == 0) })
        #expect(code.modules[code.size - 8][8], "the dark module")
    }

    @Test func theSVGIsOnePathWithAQuietZoneAndATitle() throws {
        let svg = try QRCode(text: "SKYHIGH").svg(moduleSize: 3, title: "Boarding pass <SH100>")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("viewBox=\"0 0 29 29\"") && svg.contains("width=\"87\""))
        #expect(svg.contains("<title>Boarding pass &lt;SH100&gt;</title>"))
        #expect(svg.components(separatedBy: "<path").count == 2)
    }

    /// Codes of every version and level, read back by zxing-cpp (an independent decoder).
    @Test func anIndependentDecoderReadsEveryVersionAndLevel() throws {
        var cases: [(text: String, level: QRErrorCorrection)] = [(Self.boardingPass, .medium), ("SH100 1A ✈︎ Zoë", .low)]
        for version in QRTables.versions {
            for level in QRErrorCorrection.allCases {
                let bytes = QRCode.capacity(version: version, level: level)
                cases.append((String((0..<bytes).map { i in Character(UnicodeScalar(UInt8(33 + (i * 7 + version) % 90))) }), level))
            }
        }
        let codes = try cases.map { try QRCode(text: $0.text, level: $0.level) }
        #expect(Set(codes.map(\.version)) == Set(QRTables.versions), "every version is exercised")
        #expect(Set(codes.map(\.mask)).count > 1, "more than one mask is chosen")
        guard let decoded = try QRDecoder.read(codes.map(\.modules)) else { return }
        for (index, (wanted, read)) in zip(cases, decoded).enumerated() {
            #expect(read == wanted.text, "code \(index): version \(codes[index].version) \(codes[index].level) mask \(codes[index].mask)")
        }
    }
}
