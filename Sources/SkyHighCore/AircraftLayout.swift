/// How an aircraft's seats are arranged: cabin sections of rows, each row a pattern of seat
/// letters in which a space stands for an aisle (`"ABC DEF"`), plus the exit rows.
///
/// Characteristics are derived, not listed: the outermost seats are WINDOW, seats beside an
/// aisle are AISLE, the others MIDDLE; exit rows add EXIT_ROW and EXTRA_LEGROOM, and the first
/// row of each cabin is a BULKHEAD row.
public struct AircraftLayout: Sendable, Equatable, Codable {
    public struct Section: Sendable, Equatable, Codable {
        public var cabin: Cabin
        public var firstRow: Int
        public var lastRow: Int
        /// Seat letters per row with spaces for aisles, e.g. `"ABC DEF"`.
        public var seats: String

        public init(cabin: Cabin, firstRow: Int, lastRow: Int, seats: String) {
            self.cabin = cabin
            self.firstRow = firstRow
            self.lastRow = lastRow
            self.seats = seats
        }
    }

    public var sections: [Section]
    public var exitRows: [Int]

    public init(sections: [Section], exitRows: [Int] = []) {
        self.sections = sections
        self.exitRows = exitRows
    }

    enum CodingKeys: String, CodingKey { case sections, exitRows }

    /// `exitRows` may be left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sections = try container.decode([Section].self, forKey: .sections)
        exitRows = try container.decodeIfPresent([Int].self, forKey: .exitRows) ?? []
    }

    /// The largest layout accepted: comfortably above any real aircraft.
    public static let maximumSeats = 1_000

    /// Every seat of the layout, front to back, left to right; throws when the layout is
    /// inconsistent (overlapping or reversed rows, repeated or non-letter seat codes, too many seats).
    public func seats() throws(DomainError) -> [Seat] {
        guard !sections.isEmpty else { throw .invalid("layout", "needs at least one cabin section") }
        var seats: [Seat] = []
        var previousLastRow = 0
        for section in sections {
            guard section.firstRow > previousLastRow, section.firstRow <= section.lastRow, section.lastRow <= 999 else {
                throw .invalid("layout", "rows must ascend without overlap and stay within 1-999")
            }
            previousLastRow = section.lastRow
            let blocks = section.seats.split(separator: " ").map(Array.init)
            let letters = blocks.flatMap { $0 }
            guard !letters.isEmpty, letters.allSatisfy({ $0.isASCII && $0.isUppercase }),
                  Set(letters).count == letters.count
            else { throw .invalid("layout", "seat letters must be distinct uppercase letters, e.g. \"ABC DEF\"") }
            for row in section.firstRow...section.lastRow {
                for (blockIndex, block) in blocks.enumerated() {
                    for (index, letter) in block.enumerated() {
                        let position = SeatPosition(block: blockIndex, blockCount: blocks.count,
                                                    index: index, blockSize: block.count)
                        seats.append(Seat(
                            id: SeatID(row: row, letter: letter),
                            cabin: section.cabin,
                            characteristics: characteristics(position, row: row, firstRowOfCabin: row == section.firstRow)))
                    }
                }
            }
            guard seats.count <= Self.maximumSeats else {
                throw .invalid("layout", "more than \(Self.maximumSeats) seats")
            }
        }
        return seats
    }

    private struct SeatPosition {
        var block: Int, blockCount: Int, index: Int, blockSize: Int

        var isWindow: Bool {
            (block == 0 && index == 0) || (block == blockCount - 1 && index == blockSize - 1)
        }
        var isAisle: Bool {
            !isWindow && ((index == 0 && block > 0) || (index == blockSize - 1 && block < blockCount - 1))
        }
    }

    private func characteristics(_ position: SeatPosition, row: Int, firstRowOfCabin: Bool) -> [SeatCharacteristic] {
        var result: [SeatCharacteristic] = [position.isWindow ? .window : position.isAisle ? .aisle : .middle]
        if exitRows.contains(row) { result += [.exitRow, .extraLegroom] }
        if firstRowOfCabin { result.append(.bulkhead) }
        return result
    }
}

extension AircraftLayout {
    /// The built-in aircraft types `POST /admin/flights` accepts as `aircraftType`.
    public static let builtIn: [String: AircraftLayout] = [
        "A320": AircraftLayout(
            sections: [
                .init(cabin: .business, firstRow: 1, lastRow: 3, seats: "AC DF"),
                .init(cabin: .economy, firstRow: 4, lastRow: 30, seats: "ABC DEF"),
            ],
            exitRows: [10, 11]),
        "B738": AircraftLayout(
            sections: [
                .init(cabin: .business, firstRow: 1, lastRow: 4, seats: "AC DF"),
                .init(cabin: .economy, firstRow: 5, lastRow: 32, seats: "ABC DEF"),
            ],
            exitRows: [14, 15]),
        "B77W": AircraftLayout(
            sections: [
                .init(cabin: .first, firstRow: 1, lastRow: 2, seats: "A DG K"),
                .init(cabin: .business, firstRow: 6, lastRow: 14, seats: "AC DG HK"),
                .init(cabin: .premiumEconomy, firstRow: 20, lastRow: 24, seats: "AC DEG HK"),
                .init(cabin: .economy, firstRow: 30, lastRow: 58, seats: "ABC DEFG HJK"),
            ],
            exitRows: [30, 44]),
    ]
}
