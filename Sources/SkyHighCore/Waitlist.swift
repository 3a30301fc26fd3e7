import Foundation

/// The seats a waitlisted passenger will accept. Every preference given must hold.
public struct SeatPreferences: Sendable, Hashable, Codable {
    public enum SeatType: String, Sendable, CheckedEnum {
        case window = "WINDOW"
        case aisle = "AISLE"
        case any = "ANY"
    }

    public var cabin: Cabin?
    public var seatType: SeatType
    /// Acceptable seats; empty means any seat.
    public var seats: [SeatID]

    public init(cabin: Cabin? = nil, seatType: SeatType = .any, seats: [SeatID] = []) {
        self.cabin = cabin
        self.seatType = seatType
        self.seats = seats
    }

    enum CodingKeys: String, CodingKey { case cabin, seatType, seats }

    /// Every member is optional in JSON: no cabin, ANY seat type, any seat.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cabin = try container.decodeIfPresent(Cabin.self, forKey: .cabin)
        seatType = try container.decodeIfPresent(SeatType.self, forKey: .seatType) ?? .any
        seats = try container.decodeIfPresent([SeatID].self, forKey: .seats) ?? []
    }

    /// Why `seat` does not satisfy these preferences, or `nil` if it does.
    public func mismatch(_ seat: Seat) -> String? {
        if let cabin, seat.cabin != cabin { return "wants \(cabin.rawValue), seat is \(seat.cabin.rawValue)" }
        switch seatType {
        case .window where !seat.characteristics.contains(.window): return "wants a WINDOW seat"
        case .aisle where !seat.characteristics.contains(.aisle): return "wants an AISLE seat"
        default: break
        }
        if !seats.isEmpty, !seats.contains(seat.id) { return "seat \(seat.id) is not among the acceptable seats" }
        return nil
    }

    /// Checks the preferences against the flight's seats: named cabins and seats must exist.
    public func validated(against flightSeats: [Seat]) throws(DomainError) -> SeatPreferences {
        if let cabin, !flightSeats.contains(where: { $0.cabin == cabin }) {
            throw .invalid("preferences.cabin", "the aircraft has no \(cabin.rawValue) cabin")
        }
        guard seats.count <= 50 else { throw .invalid("preferences.seats", "at most 50 seats") }
        let known = Set(flightSeats.map(\.id))
        if let unknown = seats.first(where: { !known.contains($0) }) {
            throw .invalid("preferences.seats", "the flight has no seat \(unknown)")
        }
        guard flightSeats.contains(where: { mismatch($0) == nil }) else {
            throw .invalid("preferences", "no seat on this aircraft satisfies all of them")
        }
        return self
    }
}

/// What the waitlist's history records.
public enum WaitlistEventKind: String, Sendable, Codable, CaseIterable {
    case joined = "WAITLIST_JOINED"
    case left = "WAITLIST_LEFT"
    /// Still WAITING when check-in closed.
    case expired = "WAITLIST_EXPIRED"
    /// Passed over for a freed seat its preferences do not accept.
    case skipped = "WAITLIST_SKIPPED"
    case assigned = "WAITLIST_ASSIGNED"
}

public enum WaitlistState: String, Sendable, Codable, CaseIterable {
    case waiting = "WAITING"
    case assigned = "ASSIGNED"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"
}

/// A passenger waiting for a seat on a flight.
public struct WaitlistEntry: Sendable, Equatable {
    public let id: UUID
    public let flightID: FlightID
    public let passengerID: PassengerID
    public let preferences: SeatPreferences
    /// From the passenger's priority tier: lower goes first.
    public let priorityRank: Int
    public let joinedAt: Date
    /// Increases with every join on every flight: the tie-break after join time.
    public let sequence: Int64
    public internal(set) var state: WaitlistState
    public internal(set) var seatID: SeatID?
    public internal(set) var holdID: HoldID?
    public internal(set) var updatedAt: Date

    public init(id: UUID, flightID: FlightID, passengerID: PassengerID, preferences: SeatPreferences,
                priorityRank: Int, joinedAt: Date, sequence: Int64, state: WaitlistState = .waiting, seatID: SeatID? = nil,
                holdID: HoldID? = nil, updatedAt: Date? = nil) {
        self.id = id
        self.flightID = flightID
        self.passengerID = passengerID
        self.preferences = preferences
        self.priorityRank = priorityRank
        self.joinedAt = joinedAt
        self.sequence = sequence
        self.state = state
        self.seatID = seatID
        self.holdID = holdID
        self.updatedAt = updatedAt ?? joinedAt
    }

    /// Waitlist order: priority tier, then join time, then join sequence.
    public static func precedes(_ a: WaitlistEntry, _ b: WaitlistEntry) -> Bool {
        (a.priorityRank, a.joinedAt, a.sequence) < (b.priorityRank, b.joinedAt, b.sequence)
    }
}

/// One decision the waitlist made about one entry for one freed seat: recorded, so that "why
/// did I not get that seat" has an answer.
public struct WaitlistDecision: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case assigned
        case skipped(String)
    }

    public let entry: WaitlistEntry
    public let outcome: Outcome
}

public enum WaitlistRules {
    /// The waitlist closes with check-in, `closeBefore` seconds before departure.
    public static func closes(_ flight: Flight, closeBefore: TimeInterval) -> Date {
        flight.departureTime - closeBefore
    }

    public static func isClosed(_ flight: Flight, at now: Date, closeBefore: TimeInterval) -> Bool {
        now >= closes(flight, closeBefore: closeBefore)
    }

    /// Where `entry` stands among its flight's `waiting` entries (1 is next), in waitlist
    /// order; `nil` unless it is WAITING.
    public static func position(of entry: WaitlistEntry, among waiting: [WaitlistEntry]) -> Int? {
        guard entry.state == .waiting else { return nil }
        return 1 + waiting.filter { $0.state == .waiting && $0.id != entry.id && WaitlistEntry.precedes($0, entry) }.count
    }

    /// Who gets `seat`: the first WAITING entry, in waitlist order, whose preferences it
    /// satisfies. Returns the decisions about every entry considered, in order; the entries
    /// after the winner are not considered.
    public static func pick(_ seat: Seat, from entries: [WaitlistEntry]) -> [WaitlistDecision] {
        var decisions: [WaitlistDecision] = []
        for entry in entries.filter({ $0.state == .waiting }).sorted(by: WaitlistEntry.precedes) {
            if let reason = entry.preferences.mismatch(seat) {
                decisions.append(WaitlistDecision(entry: entry, outcome: .skipped(reason)))
            } else {
                decisions.append(WaitlistDecision(entry: entry, outcome: .assigned))
                break
            }
        }
        return decisions
    }

    /// The first seat, in layout order, that is available and satisfies the entry: used when a
    /// passenger joins while a matching seat is free.
    public static func firstMatch(for preferences: SeatPreferences, among available: [Seat]) -> Seat? {
        available.first { preferences.mismatch($0) == nil }
    }

    /// Expires an entry still WAITING when the waitlist closes.
    public static func expire(_ entry: WaitlistEntry, at now: Date) -> WaitlistEntry {
        var expired = entry
        expired.state = .expired
        expired.updatedAt = now
        return expired
    }

    public static func assign(_ entry: WaitlistEntry, seat: SeatID, hold: HoldID, at now: Date) throws(DomainError) -> WaitlistEntry {
        guard entry.state == .waiting else { throw .waitlistEntryNotWaiting(entry.state) }
        var assigned = entry
        assigned.state = .assigned
        assigned.seatID = seat
        assigned.holdID = hold
        assigned.updatedAt = now
        return assigned
    }

    public static func leave(_ entry: WaitlistEntry, by passengerID: PassengerID, at now: Date) throws(DomainError) -> WaitlistEntry {
        guard entry.passengerID == passengerID else { throw .notYourBooking }
        guard entry.state == .waiting else { throw .waitlistEntryNotWaiting(entry.state) }
        var left = entry
        left.state = .cancelled
        left.updatedAt = now
        return left
    }
}
