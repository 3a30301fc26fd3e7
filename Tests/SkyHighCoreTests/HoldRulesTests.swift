import Foundation
import SkyHighCore
import Testing

@Suite struct HoldRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let passenger = PassengerID()
    var flight: Flight {
        Flight(id: FlightID("SH100")!, flightNumber: "SH100", origin: "LHR", destination: "JFK",
               departureTime: now + 86_400, aircraftType: "A320")
    }

    func hold(_ seat: String, _ state: HoldState, expiresIn: TimeInterval = 60) -> Hold {
        Hold(id: HoldID(), flightID: flight.id, seatID: SeatID(seat)!, passengerID: passenger, state: state,
             createdAt: now - 10, expiresAt: now + expiresIn, updatedAt: now - 10)
    }

    @Test func aFirstHoldIsPlacedHeld() throws {
        let placement = try HoldRules.place(id: HoldID(), flight: flight, seatID: SeatID("1A")!, passengerID: passenger,
                                            passengerHolds: [], now: now, duration: 120)
        #expect(placement.transitions.map(\.kind) == [.placed])
        #expect(placement.newHold.state == .held)
        #expect(placement.newHold.expiresAt == now + 120)
    }

    @Test func aSecondHoldReleasesTheHeldOneButKeepsTheConfirmedOne() throws {
        let held = hold("2A", .held)
        let confirmed = hold("3A", .confirmed)
        let placement = try HoldRules.place(id: HoldID(), flight: flight, seatID: SeatID("4A")!, passengerID: passenger,
                                            passengerHolds: [held, confirmed], now: now, duration: 120)
        #expect(placement.transitions.map(\.kind) == [.released, .placed])
        #expect(placement.transitions[0].hold.id == held.id)
        #expect(placement.transitions[0].hold.state == .cancelled)
        #expect(placement.transitions[0].from == .held)
    }

    @Test func holdingTheSameSeatAgainIsRefused() {
        #expect(throws: DomainError.alreadyHoldingSeat(SeatID("2A")!)) {
            try HoldRules.place(id: HoldID(), flight: flight, seatID: SeatID("2A")!, passengerID: passenger,
                                passengerHolds: [hold("2A", .held)], now: now, duration: 120)
        }
        #expect(throws: DomainError.alreadyHoldingSeat(SeatID("2A")!)) {
            try HoldRules.place(id: HoldID(), flight: flight, seatID: SeatID("2A")!, passengerID: passenger,
                                passengerHolds: [hold("2A", .confirmed)], now: now, duration: 120)
        }
    }

    @Test func aLapsedHoldOfThePassengerIsExpiredNotReleased() throws {
        let lapsed = hold("2A", .held, expiresIn: 0)
        let placement = try HoldRules.place(id: HoldID(), flight: flight, seatID: SeatID("2A")!, passengerID: passenger,
                                            passengerHolds: [lapsed], now: now, duration: 120)
        #expect(placement.transitions.map(\.kind) == [.expired, .placed])
    }

    @Test func expiryIsExactToTheMillisecond() {
        let held = hold("2A", .held, expiresIn: 1)
        #expect(held.isLive(at: now + 0.999))
        #expect(!held.isLive(at: now + 1))
        #expect(held.effectiveState(at: now + 1) == .expired)
        #expect(throws: DomainError.holdExpired(held.id)) {
            try HoldRules.confirm(held, by: passenger, previouslyConfirmed: nil, now: now + 1)
        }
    }

    @Test func confirmingASeatChangeReleasesTheOldSeat() throws {
        let old = hold("3A", .confirmed)
        let new = hold("4A", .held)
        let confirmation = try HoldRules.confirm(new, by: passenger, previouslyConfirmed: old, now: now)
        #expect(confirmation.transitions.map(\.kind) == [.released, .confirmed])
        #expect(confirmation.transitions[0].hold.state == .cancelled)
        #expect(confirmation.confirmed.state == .confirmed)
    }

    @Test func onlyTheHolderConfirmsOrCancels() {
        let held = hold("2A", .held)
        #expect(throws: DomainError.notYourBooking) {
            try HoldRules.confirm(held, by: PassengerID(), previouslyConfirmed: nil, now: now)
        }
        #expect(throws: DomainError.notYourBooking) {
            try HoldRules.cancel(held, by: PassengerID(), flight: flight, now: now)
        }
    }

    @Test func cancelRules() throws {
        #expect(try HoldRules.cancel(hold("2A", .confirmed), by: passenger, flight: flight, now: now).hold.state == .cancelled)
        #expect(throws: DomainError.holdNotActive(.cancelled)) {
            try HoldRules.cancel(hold("2A", .cancelled), by: passenger, flight: flight, now: now)
        }
        #expect(throws: DomainError.flightDeparted(flight.id)) {
            try HoldRules.cancel(hold("2A", .confirmed), by: passenger, flight: flight, now: flight.departureTime)
        }
    }

    @Test func replayingHistoryGivesSeatStates() {
        let h1 = HoldID(), h2 = HoldID()
        func event(_ seq: Int64, _ hold: HoldID, _ seat: String, _ to: HoldState) -> FlightEvent {
            FlightEvent(sequence: seq, flightID: flight.id, kind: .hold(.placed), seatID: SeatID(seat), holdID: hold,
                        passengerID: passenger, actor: .system("t"), fromState: nil, toState: to.rawValue,
                        version: seq, at: now, detail: nil)
        }
        let states = SeatHistoryReplay.seatStates([
            event(1, h1, "1A", .held), event(2, h1, "1A", .confirmed), event(3, h2, "2A", .held),
            event(4, h2, "2A", .expired),
        ])
        #expect(states[SeatID("1A")!] == .confirmed)
        #expect(states[SeatID("2A")!] == .available)
    }
}
