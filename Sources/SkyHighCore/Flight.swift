import Foundation

/// One departure.
public struct Flight: Sendable, Equatable, Codable {
    public let id: FlightID
    public let flightNumber: String
    public let origin: String
    public let destination: String
    public let departureTime: Date
    /// A built-in type such as `A320`, or `CUSTOM` for a flight created from an explicit layout.
    public let aircraftType: String

    public init(id: FlightID, flightNumber: String, origin: String, destination: String,
                departureTime: Date, aircraftType: String) {
        self.id = id
        self.flightNumber = flightNumber
        self.origin = origin
        self.destination = destination
        self.departureTime = departureTime
        self.aircraftType = aircraftType
    }

    /// Checks the fields an admin supplies: an IATA-style flight number (`SH101`), three-letter
    /// airport codes that differ.
    public func validated() throws(DomainError) -> Flight {
        guard flightNumber.utf8.count >= 3, flightNumber.utf8.count <= 7,
              flightNumber.utf8.allSatisfy({ $0.isUppercaseASCIILetter || $0.isASCIIDigit }),
              flightNumber.utf8.suffix(flightNumber.utf8.count - 2).contains(where: \.isASCIIDigit)
        else { throw .invalid("flightNumber", "must be an airline code and number such as SH101") }
        for (field, code) in [("origin", origin), ("destination", destination)] {
            guard code.utf8.count == 3, code.utf8.allSatisfy(\.isUppercaseASCIILetter) else {
                throw .invalid(field, "must be a three-letter IATA airport code such as LHR")
            }
        }
        guard origin != destination else { throw .invalid("destination", "must differ from origin") }
        return self
    }

    /// Whether the aircraft has left: holds can no longer change.
    public func hasDeparted(at now: Date) -> Bool { now >= departureTime }
}

/// A passenger on a booking.
public struct Passenger: Sendable, Equatable, Codable {
    public let id: PassengerID
    public let firstName: String
    public let lastName: String
    public let priorityTier: PriorityTier?

    public init(id: PassengerID, firstName: String, lastName: String, priorityTier: PriorityTier? = nil) {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.priorityTier = priorityTier
    }
}

/// Frequent-flyer standing, highest first; it orders the waitlist.
public enum PriorityTier: String, Sendable, CheckedEnum {
    case platinum = "PLATINUM"
    case gold = "GOLD"
    case silver = "SILVER"
    case bronze = "BRONZE"

    /// Lower ranks first; passengers without a tier rank after every tier.
    public var rank: Int { Self.allCases.firstIndex(of: self)! + 1 }
    public static let noTierRank = 99
}

/// A reservation made in the airline's booking system: 1 to 9 passengers on one flight.
public struct Booking: Sendable, Equatable, Codable {
    public let reference: BookingReference
    public let flightID: FlightID
    public let passengers: [Passenger]

    public init(reference: BookingReference, flightID: FlightID, passengers: [Passenger]) {
        self.reference = reference
        self.flightID = flightID
        self.passengers = passengers
    }

    public static let maximumPassengers = 9

    public func validated() throws(DomainError) -> Booking {
        guard (1...Self.maximumPassengers).contains(passengers.count) else {
            throw .invalid("passengers", "a booking has 1 to \(Self.maximumPassengers) passengers")
        }
        for passenger in passengers {
            for (field, name) in [("firstName", passenger.firstName), ("lastName", passenger.lastName)] {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, trimmed.count <= 64, !name.contains(where: \.isNewline) else {
                    throw .invalid("passengers[].\(field)", "must be 1 to 64 characters")
                }
            }
        }
        return self
    }

    /// Sign-in compares last names without regard to case or surrounding spaces.
    public func hasPassenger(lastName: String) -> Bool {
        let wanted = lastName.trimmingCharacters(in: .whitespaces)
        return passengers.contains {
            $0.lastName.trimmingCharacters(in: .whitespaces)
                .compare(wanted, options: [.caseInsensitive]) == .orderedSame
        }
    }
}
