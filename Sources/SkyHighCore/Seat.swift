/// The cabin a seat belongs to, front to back.
public enum Cabin: String, Sendable, CheckedEnum, Comparable {
    case first = "FIRST"
    case business = "BUSINESS"
    case premiumEconomy = "PREMIUM_ECONOMY"
    case economy = "ECONOMY"

    public static func < (lhs: Cabin, rhs: Cabin) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What a passenger may care about when choosing a seat.
public enum SeatCharacteristic: String, Sendable, Codable, CaseIterable {
    case window = "WINDOW"
    case aisle = "AISLE"
    case middle = "MIDDLE"
    case exitRow = "EXIT_ROW"
    case extraLegroom = "EXTRA_LEGROOM"
    case bulkhead = "BULKHEAD"
}

/// A place on a flight, as laid out by the aircraft's layout.
public struct Seat: Sendable, Equatable, Codable {
    public let id: SeatID
    public let cabin: Cabin
    public let characteristics: [SeatCharacteristic]

    public init(id: SeatID, cabin: Cabin, characteristics: [SeatCharacteristic]) {
        self.id = id
        self.cabin = cabin
        self.characteristics = characteristics
    }
}

/// A seat's state as passengers see it: derived from the live hold on it, if any.
public enum SeatState: String, Sendable, Codable {
    case available = "AVAILABLE"
    case held = "HELD"
    case confirmed = "CONFIRMED"
}
