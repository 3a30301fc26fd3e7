import Foundation
import SkyHighCore

extension SQLStore {
    public func createBooking(_ booking: Booking, at now: Date) async throws {
        try await transaction { sql in
            guard try await !sql.run("SELECT 1 AS one FROM flights WHERE flight_id = \(booking.flightID.rawValue)").isEmpty
            else { throw DomainError.flightNotFound(booking.flightID) }
            do {
                try await sql.run("INSERT INTO bookings (booking_reference, flight_id, created_at) VALUES (\(booking.reference.rawValue), \(booking.flightID.rawValue), \(now))")
            } catch SQLDriverError.uniqueViolation {
                throw DomainError.bookingExists(booking.reference)
            }
            try await sql.run("""
                INSERT INTO passengers (passenger_id, booking_reference, position, first_name, last_name, priority_tier)
                VALUES \(rows: booking.passengers.enumerated().map { index, passenger in
                    [.id(passenger.id), .text(booking.reference.rawValue), .int(Int64(index)),
                     .text(passenger.firstName), .text(passenger.lastName), .optional(passenger.priorityTier?.rawValue)]
                })
                """)
        }
    }

    public func booking(_ reference: BookingReference) async throws -> Booking? {
        try await loadBooking(where: "b.booking_reference = \(reference)")
    }

    public func booking(of passengerID: PassengerID) async throws -> Booking? {
        try await loadBooking(
            where: "b.booking_reference = (SELECT booking_reference FROM passengers WHERE passenger_id = \(passengerID))")
    }

    private func loadBooking(where condition: SQLStatement) async throws -> Booking? {
        let rows = try await run("""
            SELECT b.booking_reference, b.flight_id, p.passenger_id, p.first_name, p.last_name, p.priority_tier
            FROM bookings b JOIN passengers p ON p.booking_reference = b.booking_reference
            WHERE \(condition)
            ORDER BY p.position
            """)
        guard let first = rows.first,
              let reference = BookingReference(try first.string("booking_reference")) else { return nil }
        let passengers = try rows.map { row in
            Passenger(id: try row.uuid("passenger_id"), firstName: try row.string("first_name"),
                      lastName: try row.string("last_name"),
                      priorityTier: try row.optionalString("priority_tier").flatMap(PriorityTier.init(rawValue:)))
        }
        return Booking(reference: reference, flightID: try first.flightID("flight_id"), passengers: passengers)
    }

    public func createSession(tokenHash: String, booking: BookingReference, createdAt: Date, expiresAt: Date) async throws {
        try await run("""
            INSERT INTO sessions (token_hash, booking_reference, created_at, expires_at) VALUES (\(tokenHash), \(booking.rawValue), \(createdAt), \(expiresAt))
            """)
    }

    public func sessionBooking(tokenHash: String, at now: Date) async throws -> BookingReference? {
        try await run("SELECT booking_reference FROM sessions WHERE token_hash = \(tokenHash) AND expires_at > \(now)")
            .first.flatMap { BookingReference(try $0.string("booking_reference")) }
    }
}
