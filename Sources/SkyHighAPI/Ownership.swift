import SkyHighCore

/// Who may act on what: a passenger of the signed-in booking, on the booking's flight.
enum Ownership {
    /// The passenger must be on the signed-in booking (403) and the booking on the flight (403).
    static func authorize(_ passengerID: PassengerID, of reference: BookingReference, on flightID: FlightID,
                          _ env: APIEnvironment) async throws {
        guard let booking = try await env.bookings.booking(reference, in: env.store) else { throw DomainError.notSignedIn }
        guard booking.passengers.contains(where: { $0.id == passengerID }) else {
            throw try await env.store.booking(of: passengerID) == nil
                ? DomainError.passengerNotFound(passengerID) : DomainError.notYourBooking
        }
        guard booking.flightID == flightID else {
            throw try await env.store.flight(flightID) == nil
                ? DomainError.flightNotFound(flightID) : DomainError.notOnThisFlight(flightID)
        }
    }

    /// The passenger must be on the signed-in booking (403 otherwise).
    static func requireOwn(_ passengerID: PassengerID, _ reference: BookingReference, _ env: APIEnvironment) async throws {
        guard let booking = try await env.bookings.booking(reference, in: env.store),
              booking.passengers.contains(where: { $0.id == passengerID })
        else { throw DomainError.notYourBooking }
    }
}
