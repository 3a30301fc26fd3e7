import SkyHighCore
import Testing

@Suite struct AircraftLayoutTests {
    @Test(arguments: [("A320", 174), ("B738", 184), ("B77W", 8 + 54 + 35 + 290)])
    func builtInLayoutsHaveTheirSeatCounts(type: String, count: Int) throws {
        let seats = try #require(AircraftLayout.builtIn[type]).seats()
        #expect(seats.count == count)
        #expect(Set(seats.map(\.id)).count == count)
    }

    @Test func characteristicsFollowWindowsAislesAndExits() throws {
        let seats = try AircraftLayout.builtIn["A320"]!.seats()
        func seat(_ id: String) -> Seat { seats.first { $0.id == SeatID(id)! }! }
        #expect(seat("1A").characteristics == [.window, .bulkhead])
        #expect(seat("1C").characteristics == [.aisle, .bulkhead])
        #expect(seat("4A").characteristics == [.window, .bulkhead])
        #expect(seat("5B").characteristics == [.middle])
        #expect(seat("5C").characteristics == [.aisle])
        #expect(seat("5D").characteristics == [.aisle])
        #expect(seat("5F").characteristics == [.window])
        #expect(seat("10A").characteristics == [.window, .exitRow, .extraLegroom])
        #expect(seat("1A").cabin == .business)
        #expect(seat("30F").cabin == .economy)
    }

    @Test func wideBodyMiddleBlocks() throws {
        let seats = try AircraftLayout.builtIn["B77W"]!.seats()
        func seat(_ id: String) -> Seat { seats.first { $0.id == SeatID(id)! }! }
        #expect(seat("31D").characteristics == [.aisle])
        #expect(seat("31E").characteristics == [.middle])
        #expect(seat("31G").characteristics == [.aisle])
        #expect(seat("31K").characteristics == [.window])
        #expect(seat("1D").cabin == .first)
        #expect(seat("20A").cabin == .premiumEconomy)
    }

    @Test func badLayoutsAreRefused() {
        let cases: [AircraftLayout] = [
            AircraftLayout(sections: []),
            AircraftLayout(sections: [.init(cabin: .economy, firstRow: 5, lastRow: 4, seats: "AB")]),
            AircraftLayout(sections: [.init(cabin: .economy, firstRow: 1, lastRow: 4, seats: "AA")]),
            AircraftLayout(sections: [.init(cabin: .economy, firstRow: 1, lastRow: 4, seats: "a b")]),
            AircraftLayout(sections: [.init(cabin: .business, firstRow: 1, lastRow: 4, seats: "AB"),
                                      .init(cabin: .economy, firstRow: 3, lastRow: 9, seats: "AB")]),
            AircraftLayout(sections: [.init(cabin: .economy, firstRow: 1, lastRow: 999, seats: "ABCDEFGHJK")]),
        ]
        for layout in cases {
            #expect(throws: DomainError.self) { try layout.seats() }
        }
    }
}

@Suite struct IdentifierTests {
    @Test func flightIDs() {
        #expect(FlightID("SH101-2026-12-01") != nil)
        #expect(FlightID("SH") == nil)
        #expect(FlightID("sh101") == nil)
        #expect(FlightID(String(repeating: "A", count: 41)) == nil)
    }

    @Test func seatIDs() {
        #expect(SeatID("12A") == SeatID(row: 12, letter: "A"))
        #expect(SeatID("12a")?.description == "12A")
        #expect(SeatID("0A") == nil)
        #expect(SeatID("012A") == nil)
        #expect(SeatID("A") == nil)
        #expect(SeatID("1000A") == nil)
        #expect(SeatID("12") == nil)
    }

    @Test func bookingReferences() {
        #expect(BookingReference("abc123")?.rawValue == "ABC123")
        #expect(BookingReference("ABC12") == nil)
        #expect(BookingReference("ABC12!") == nil)
    }
}
