import Foundation

/// The boarding pass of a completed check-in: what is printed on it and its barcode data.
public struct BoardingPass: Sendable, Equatable {
    public let checkinID: UUID
    public let bookingReference: BookingReference
    public let passengerName: String
    public let flight: Flight
    public let seat: Seat
    public let sequenceNumber: Int
    /// IATA Bar Coded Boarding Pass data, format M1.
    public let bcbp: String

    /// `nil` when the flight number cannot be split into a carrier and a number.
    public init?(checkIn: CheckIn, booking: BookingReference, passenger: Passenger, flight: Flight, seat: Seat) {
        guard checkIn.state == .completed, let sequence = checkIn.sequenceNumber,
              let data = BCBP.m1(lastName: passenger.lastName, firstName: passenger.firstName, bookingReference: booking,
                                 flight: flight, compartment: BCBP.compartment(of: seat.cabin), seat: seat.id,
                                 sequenceNumber: sequence)
        else { return nil }
        checkinID = checkIn.id
        bookingReference = booking
        passengerName = "\(passenger.firstName) \(passenger.lastName)"
        self.flight = flight
        self.seat = seat
        sequenceNumber = sequence
        bcbp = data
    }
}

/// IATA Resolution 792 Bar Coded Boarding Pass, format M1, one leg: the 60 characters of
/// mandatory items and no conditional items (their size field is `00`).
public enum BCBP {
    /// Field names and widths, in order.
    public static let mandatoryFields: [(name: String, width: Int)] = [
        ("formatCode", 1), ("numberOfLegs", 1), ("passengerName", 20), ("electronicTicket", 1),
        ("pnrCode", 7), ("fromAirport", 3), ("toAirport", 3), ("carrier", 3), ("flightNumber", 5),
        ("julianDate", 3), ("compartment", 1), ("seat", 4), ("sequenceNumber", 5), ("passengerStatus", 1),
        ("variableSize", 2),
    ]

    public static func m1(lastName: String, firstName: String, bookingReference: BookingReference, flight: Flight,
                          compartment: Character, seat: SeatID, sequenceNumber: Int) -> String? {
        guard let (carrier, number) = carrierAndNumber(flight.flightNumber) else { return nil }
        let fields = [
            "M", "1",
            padded(name(last: lastName, first: firstName), 20),
            "E",
            padded(bookingReference.description, 7),
            flight.origin, flight.destination,
            padded(carrier, 3),
            number,
            julianDate(flight.departureTime),
            String(compartment),
            seatNumber(seat),
            sequence(sequenceNumber),
            "1",
            "00",
        ]
        return fields.joined()
    }

    /// `LAST/FIRST` in upper-case ASCII letters, cut to 20 characters.
    public static func name(last: String, first: String) -> String {
        func clean(_ text: String) -> String {
            let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX"))
            return String(folded.uppercased().unicodeScalars.filter {
                ("A"..."Z").contains($0) || $0 == " " || $0 == "-"
            }.map(Character.init)).trimmingCharacters(in: .whitespaces)
        }
        return String((clean(last) + "/" + clean(first)).prefix(20))
    }

    /// `SH101` is carrier `SH` and flight `0101 `: four digits, then an operational suffix or a space.
    public static func carrierAndNumber(_ flightNumber: String) -> (String, String)? {
        guard flightNumber.count >= 3 else { return nil }
        let carrier = String(flightNumber.prefix(2))
        let rest = flightNumber.dropFirst(2)
        let digits = rest.prefix(while: \.isNumber)
        let suffix = rest.dropFirst(digits.count)
        guard (1...4).contains(digits.count), suffix.count <= 1, suffix.allSatisfy(\.isLetter) else { return nil }
        return (carrier, String(repeating: "0", count: 4 - digits.count) + digits + (suffix.isEmpty ? " " : suffix))
    }

    /// Day of the year of the departure (UTC), `001` to `366`.
    static func julianDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let day = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        return zeroPadded(day, 3)
    }

    /// `12A` is `012A`.
    static func seatNumber(_ seat: SeatID) -> String { zeroPadded(seat.row, 3) + String(seat.letter) }

    /// `7` is `0007 `.
    static func sequence(_ number: Int) -> String {
        number < 10_000 ? zeroPadded(number, 4) + " " : zeroPadded(number % 100_000, 5)
    }

    public static func compartment(of cabin: Cabin) -> Character {
        switch cabin {
        case .first: "F"
        case .business: "J"
        case .premiumEconomy: "W"
        case .economy: "Y"
        }
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        String(text.prefix(width)).padding(toLength: width, withPad: " ", startingAt: 0)
    }

    private static func zeroPadded(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
