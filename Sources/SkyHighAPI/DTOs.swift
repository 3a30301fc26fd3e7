import Foundation
import SkyHighCore

// Request and response bodies, named as API-SPECIFICATION.yml names their schemas.

struct CreateFlightRequest: Decodable {
    let flightId: FlightID
    let flightNumber: String
    let origin: String
    let destination: String
    let departureTime: Date
    let aircraftType: String?
    let layout: AircraftLayout?
}

struct FlightResponse: Encodable {
    let flightId: FlightID
    let flightNumber: String
    let origin: String
    let destination: String
    let departureTime: Date
    let aircraftType: String
    let seatCount: Int
    let cabins: [Cabin]

    init(_ flight: Flight, seatMap: SeatMap) {
        flightId = flight.id
        flightNumber = flight.flightNumber
        origin = flight.origin
        destination = flight.destination
        departureTime = flight.departureTime
        aircraftType = flight.aircraftType
        seatCount = seatMap.cabins.reduce(0) { $0 + $1.rows.reduce(0) { $0 + $1.seats.count } }
        cabins = seatMap.cabins.map(\.cabin)
    }
}

struct CreateBookingRequest: Decodable {
    struct NewPassenger: Decodable {
        let firstName: String
        let lastName: String
        let priorityTier: PriorityTier?
    }

    let bookingReference: BookingReference
    let flightId: FlightID
    let passengers: [NewPassenger]
}

struct BookingResponse: Encodable {
    let bookingReference: BookingReference
    let flightId: FlightID
    let passengers: [Components.Schemas.Passenger]

    init(_ booking: Booking) {
        bookingReference = booking.reference
        flightId = booking.flightID
        passengers = booking.passengers.map(Components.Schemas.Passenger.init)
    }
}

struct SeatMapResponse: Encodable {
    struct CabinBody: Encodable {
        let cabin: Cabin
        let rows: [RowBody]
    }
    struct RowBody: Encodable {
        let row: Int
        let seats: [SeatBody]
    }
    struct SeatBody: Encodable {
        let seatId: SeatID
        let state: SeatState
        let characteristics: [SeatCharacteristic]
    }

    let flightId: FlightID
    let version: Int64
    let cabins: [CabinBody]

    init(_ map: SeatMap) {
        flightId = map.flightID
        version = map.version
        cabins = map.cabins.map { cabin in
            CabinBody(cabin: cabin.cabin, rows: cabin.rows.map { row in
                RowBody(row: row.row, seats: row.seats.map {
                    SeatBody(seatId: $0.seat.id, state: $0.state, characteristics: $0.seat.characteristics)
                })
            })
        }
    }
}

struct EventsResponse: Encodable {
    struct EventBody: Encodable {
        let sequence: Int64
        let kind: String
        let seatId: SeatID?
        let holdId: String?
        let passengerId: String?
        let waitlistId: String?
        let checkinId: String?
        let actor: EventActor
        let fromState: String?
        let toState: String?
        let version: Int64?
        let at: Date
        let detail: String?

        init(_ event: FlightEvent) {
            sequence = event.sequence
            kind = event.kind.rawValue
            seatId = event.seatID
            holdId = event.holdID?.lowercased
            passengerId = event.passengerID?.lowercased
            waitlistId = event.waitlistID?.lowercased
            checkinId = event.checkinID?.lowercased
            actor = event.actor
            fromState = event.fromState
            toState = event.toState
            version = event.version
            at = event.at
            detail = event.detail
        }
    }

    let flightId: FlightID
    let events: [EventBody]

    init(flightID: FlightID, events: [FlightEvent]) {
        flightId = flightID
        self.events = events.map(EventBody.init)
    }
}

struct HealthResponse: Encodable {
    let status: String
}

extension UUID {
    /// The canonical lowercase form (RFC 9562) used in every answer.
    var lowercased: String { uuidString.lowercased() }
}

