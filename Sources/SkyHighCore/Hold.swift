import Foundation

/// One passenger's claim on one seat.
public enum HoldState: String, Sendable, Codable, CaseIterable {
    case held = "HELD"
    case confirmed = "CONFIRMED"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"

    /// The seat state a hold in this state gives its seat.
    public var seatState: SeatState {
        switch self {
        case .held: .held
        case .confirmed: .confirmed
        case .cancelled, .expired: .available
        }
    }
}

public struct Hold: Sendable, Equatable, Codable {
    public let id: HoldID
    public let flightID: FlightID
    public let seatID: SeatID
    public let passengerID: PassengerID
    public internal(set) var state: HoldState
    public let createdAt: Date
    public let expiresAt: Date
    public internal(set) var updatedAt: Date

    public init(id: HoldID, flightID: FlightID, seatID: SeatID, passengerID: PassengerID,
                state: HoldState, createdAt: Date, expiresAt: Date, updatedAt: Date) {
        self.id = id
        self.flightID = flightID
        self.seatID = seatID
        self.passengerID = passengerID
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.updatedAt = updatedAt
    }

    /// Expiry is exact: from `expiresAt` on, a HELD hold no longer counts, swept or not.
    public func isExpired(at now: Date) -> Bool { state == .held && now >= expiresAt }

    /// HELD and not yet expired, or CONFIRMED: the hold that makes its seat taken.
    public func isLive(at now: Date) -> Bool {
        state == .confirmed || (state == .held && now < expiresAt)
    }

    /// The state a reader should see now: a HELD hold past its expiry reads EXPIRED even
    /// before the sweep has written it.
    public func effectiveState(at now: Date) -> HoldState { isExpired(at: now) ? .expired : state }
}
