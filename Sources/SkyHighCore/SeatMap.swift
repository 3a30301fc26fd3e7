import Foundation

/// A flight's seats with their current states, grouped as a seat map shows them.
public struct SeatMap: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public let row: Int
        public let seats: [(seat: Seat, state: SeatState)]

        public static func == (lhs: Row, rhs: Row) -> Bool {
            lhs.row == rhs.row && lhs.seats.elementsEqual(rhs.seats, by: { $0.seat == $1.seat && $0.state == $1.state })
        }
    }

    public struct CabinRows: Sendable, Equatable {
        public let cabin: Cabin
        public let rows: [Row]
    }

    public let flightID: FlightID
    /// Increases with every seat-state change of the flight.
    public let version: Int64
    public let cabins: [CabinRows]
    /// When a HELD hold on the map expires next: the map changes then even if nothing is written.
    public let nextExpiry: Date?

    /// Groups `seats` (in layout order) by cabin and row; a seat with a live hold in `live`
    /// takes that hold's state, every other seat is AVAILABLE.
    public init(flightID: FlightID, version: Int64, seats: [Seat], live: [SeatID: SeatState], nextExpiry: Date? = nil) {
        self.flightID = flightID
        self.version = version
        self.nextExpiry = nextExpiry
        var cabins: [CabinRows] = []
        var index = seats.startIndex
        while index < seats.endIndex {
            let cabin = seats[index].cabin
            var rows: [Row] = []
            while index < seats.endIndex, seats[index].cabin == cabin {
                let row = seats[index].id.row
                var rowSeats: [(seat: Seat, state: SeatState)] = []
                while index < seats.endIndex, seats[index].cabin == cabin, seats[index].id.row == row {
                    rowSeats.append((seats[index], live[seats[index].id] ?? .available))
                    index += 1
                }
                rows.append(Row(row: row, seats: rowSeats))
            }
            cabins.append(CabinRows(cabin: cabin, rows: rows))
        }
        self.cabins = cabins
    }

    public func state(of seat: SeatID) -> SeatState? {
        for cabin in cabins {
            for row in cabin.rows where row.row == seat.row {
                if let match = row.seats.first(where: { $0.seat.id == seat }) { return match.state }
            }
        }
        return nil
    }
}
