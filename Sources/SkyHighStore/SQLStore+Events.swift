import Foundation
import SkyHighCore

/// A row of `flight_events` to append.
struct EventRecord {
    var flightID: FlightID
    var kind: FlightEventKind
    var seatID: SeatID? = nil
    var holdID: HoldID? = nil
    var passengerID: PassengerID? = nil
    var waitlistID: UUID? = nil
    var checkinID: UUID? = nil
    var actor: EventActor
    var from: String? = nil
    var to: String? = nil
    var version: Int64? = nil
    var detail: String? = nil
}

extension SQLStore {
    static let eventColumns = """
        sequence, flight_id, kind, seat_id, hold_id, passenger_id, waitlist_id, checkin_id, actor, from_state, to_state, version, at, detail
        """

    func appendEvents(_ events: [EventRecord], at now: Date, _ sql: any SQLExecutor) async throws {
        guard !events.isEmpty else { return }
        try await sql.run("""
            INSERT INTO flight_events (flight_id, kind, seat_id, hold_id, passenger_id, waitlist_id, checkin_id, actor,
                                       from_state, to_state, version, at, detail)
            VALUES \(rows: events.map { event in
                [.text(event.flightID.rawValue), .text(event.kind.rawValue), .optional(event.seatID?.description),
                 .optional(event.holdID?.uuidString.lowercased()), .optional(event.passengerID?.uuidString.lowercased()),
                 .optional(event.waitlistID?.uuidString.lowercased()), .optional(event.checkinID?.uuidString.lowercased()),
                 .text(event.actor.description), .optional(event.from), .optional(event.to),
                 event.version.map { .int($0) } ?? .null, .date(now), .optional(event.detail)]
            })
            """)
    }
}
