import Foundation
import SkyHighCore

extension SQLStore {
    public func createBooking(_ booking: Booking, at now: Date) async throws {
        try await database.transaction { sql in
            guard try await !sql.run("SELECT 1 AS one FROM flights WHERE flight_id = $1",
                                     [.text(booking.flightID.rawValue)]).isEmpty
            else { throw DomainError.flightNotFound(booking.flightID) }
            do {
                try await sql.run("INSERT INTO bookings (booking_reference, flight_id, created_at) VALUES ($1, $2, $3)",
                                  [.text(booking.reference.rawValue), .text(booking.flightID.rawValue), .date(now)])
            } catch SQLDriverError.uniqueViolation {
                throw DomainError.bookingExists(booking.reference)
            }
            var binds: [SQLValue] = []
            for (index, passenger) in booking.passengers.enumerated() {
                binds += [.id(passenger.id), .text(booking.reference.rawValue), .int(Int64(index)),
                          .text(passenger.firstName), .text(passenger.lastName),
                          .optional(passenger.priorityTier?.rawValue)]
            }
            try await sql.run("""
                INSERT INTO passengers (passenger_id, booking_reference, position, first_name, last_name, priority_tier)
                VALUES \(placeholders(rows: booking.passengers.count, columns: 6))
                """, binds)
        }
    }

    public func booking(_ reference: BookingReference) async throws -> Booking? {
        try await loadBooking(where: "b.booking_reference = $1", .text(reference.rawValue))
    }

    public func booking(of passengerID: PassengerID) async throws -> Booking? {
        try await loadBooking(
            where: "b.booking_reference = (SELECT booking_reference FROM passengers WHERE passenger_id = $1)",
            .id(passengerID))
    }

    private func loadBooking(where condition: String, _ bind: SQLValue) async throws -> Booking? {
        let rows = try await database.run("""
            SELECT b.booking_reference, b.flight_id, p.passenger_id, p.first_name, p.last_name, p.priority_tier
            FROM bookings b JOIN passengers p ON p.booking_reference = b.booking_reference
            WHERE \(condition)
            ORDER BY p.position
            """, [bind])
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
        try await database.run("""
            INSERT INTO sessions (token_hash, booking_reference, created_at, expires_at) VALUES ($1, $2, $3, $4)
            """, [.text(tokenHash), .text(booking.rawValue), .date(createdAt), .date(expiresAt)])
    }

    public func sessionBooking(tokenHash: String, at now: Date) async throws -> BookingReference? {
        try await database.run("SELECT booking_reference FROM sessions WHERE token_hash = $1 AND expires_at > $2",
                               [.text(tokenHash), .date(now)])
            .first.flatMap { BookingReference(try $0.string("booking_reference")) }
    }
}
