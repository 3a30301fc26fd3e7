import Foundation
import SkyHighCore
import Testing

@Suite struct WaitlistRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let flight = FlightID("SH100")!

    func entry(rank: Int, joined: TimeInterval, sequence: Int64, state: WaitlistState = .waiting) -> WaitlistEntry {
        WaitlistEntry(id: UUID(), flightID: flight, passengerID: PassengerID(), preferences: SeatPreferences(),
                      priorityRank: rank, joinedAt: now + joined, sequence: sequence, state: state)
    }

    @Test func theOrderIsTierThenJoinTimeThenSequence() {
        let gold = entry(rank: 0, joined: 30, sequence: 9)
        let early = entry(rank: 5, joined: 0, sequence: 2)
        let sameTimeLater = entry(rank: 5, joined: 0, sequence: 3)
        let late = entry(rank: 5, joined: 10, sequence: 1)
        let gone = entry(rank: 0, joined: 0, sequence: 0, state: .cancelled)
        let everyone = [late, sameTimeLater, gone, early, gold]
        #expect([gold, early, sameTimeLater, late].map { WaitlistRules.position(of: $0, among: everyone) } == [1, 2, 3, 4])
        #expect(WaitlistRules.position(of: gone, among: everyone) == nil)
        let seat = Seat(id: SeatID("1A")!, cabin: .economy, characteristics: [.window])
        #expect(WaitlistRules.pick(seat, from: everyone).map(\.entry.id) == [gold.id])
    }

    @Test func theWaitlistClosesWithCheckIn() {
        let departing = Flight(id: flight, flightNumber: "SH100", origin: "LHR", destination: "JFK",
                               departureTime: now + 3_600, aircraftType: "A320")
        #expect(WaitlistRules.closes(departing, closeBefore: 45 * 60) == now + 900)
        #expect(!WaitlistRules.isClosed(departing, at: now + 899, closeBefore: 45 * 60))
        #expect(WaitlistRules.isClosed(departing, at: now + 900, closeBefore: 45 * 60))
    }
}
