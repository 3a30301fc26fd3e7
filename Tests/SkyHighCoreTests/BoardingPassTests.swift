import Foundation
import SkyHighCore
import Testing

@Suite struct BoardingPassTests {
    // 2026-12-01T09:30:00Z is day 335 of 2026.
    let departure = Date(timeIntervalSince1970: 1_796_117_400)
    var flight: Flight {
        Flight(id: FlightID("SH101-2026-12-01")!, flightNumber: "SH101", origin: "LHR", destination: "JFK",
               departureTime: departure, aircraftType: "A320")
    }

    func field(_ name: String, of data: String) -> String {
        var offset = 0
        for (field, width) in BCBP.mandatoryFields {
            if field == name {
                let start = data.index(data.startIndex, offsetBy: offset)
                return String(data[start..<data.index(start, offsetBy: width)])
            }
            offset += width
        }
        Issue.record("no field \(name)")
        return ""
    }

    @Test func theMandatoryItemsSitAtTheirPositions() throws {
        let data = try #require(BCBP.m1(lastName: "Lovelace", firstName: "Ada", bookingReference: BookingReference("DEMO01")!,
                                        flight: flight, compartment: "Y", seat: SeatID("12A")!, sequenceNumber: 7))
        #expect(data.count == 60)
        #expect(BCBP.mandatoryFields.reduce(0) { $0 + $1.width } == 60)
        #expect(data == "M1LOVELACE/ADA        EDEMO01 LHRJFKSH 0101 335Y012A0007 100")
        #expect(field("formatCode", of: data) == "M")
        #expect(field("numberOfLegs", of: data) == "1")
        #expect(field("passengerName", of: data) == "LOVELACE/ADA        ")
        #expect(field("electronicTicket", of: data) == "E")
        #expect(field("pnrCode", of: data) == "DEMO01 ")
        #expect(field("fromAirport", of: data) == "LHR")
        #expect(field("toAirport", of: data) == "JFK")
        #expect(field("carrier", of: data) == "SH ")
        #expect(field("flightNumber", of: data) == "0101 ")
        #expect(field("julianDate", of: data) == "335")
        #expect(field("compartment", of: data) == "Y")
        #expect(field("seat", of: data) == "012A")
        #expect(field("sequenceNumber", of: data) == "0007 ")
        #expect(field("passengerStatus", of: data) == "1")
        #expect(field("variableSize", of: data) == "00")
    }

    @Test func namesAreFoldedToAsciiAndCut() {
        #expect(BCBP.name(last: "Müller-Lüdenscheidt", first: "Zoë") == "MULLER-LUDENSCHEIDT/")
        #expect(BCBP.name(last: "O'Brien", first: "Seán") == "OBRIEN/SEAN")
    }

    @Test func flightNumbersAreSplitIntoCarrierAndFourDigits() {
        #expect(BCBP.carrierAndNumber("SH1")! == ("SH", "0001 "))
        #expect(BCBP.carrierAndNumber("U21234A")! == ("U2", "1234A"))
        #expect(BCBP.carrierAndNumber("SH12345") == nil)
    }

    @Test func theBoardingPassNeedsACompletedCheckIn() throws {
        let passenger = Passenger(id: PassengerID(), firstName: "Ada", lastName: "Lovelace")
        let seat = Seat(id: SeatID("2C")!, cabin: .business, characteristics: [.aisle])
        var checkIn = CheckIn(id: UUID(), flightID: flight.id, passengerID: passenger.id, state: .inProgress,
                              seatID: seat.id, createdAt: departure, updatedAt: departure)
        #expect(BoardingPass(checkIn: checkIn, booking: BookingReference("DEMO01")!, passenger: passenger,
                             flight: flight, seat: seat) == nil)
        checkIn.state = .completed
        checkIn.sequenceNumber = 12
        let pass = try #require(BoardingPass(checkIn: checkIn, booking: BookingReference("DEMO01")!, passenger: passenger,
                                             flight: flight, seat: seat))
        #expect(pass.passengerName == "Ada Lovelace")
        #expect(field("compartment", of: pass.bcbp) == "J")
        #expect(field("seat", of: pass.bcbp) == "002C")
        #expect(field("sequenceNumber", of: pass.bcbp) == "0012 ")
    }
}
