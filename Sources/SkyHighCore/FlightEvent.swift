import Foundation

/// Who caused an event: a passenger, an admin, or the system itself (a sweep, a worker).
public enum EventActor: Sendable, Equatable, Codable, CustomStringConvertible {
    case passenger(PassengerID)
    case admin
    case system(String)

    public var description: String {
        switch self {
        case .passenger(let id): "passenger:\(id.uuidString.lowercased())"
        case .admin: "admin"
        case .system(let name): "system:\(name)"
        }
    }

    public init(_ text: String) {
        if text == "admin" {
            self = .admin
        } else if text.hasPrefix("passenger:"), let id = UUID(uuidString: String(text.dropFirst(10))) {
            self = .passenger(id)
        } else {
            self = .system(text.hasPrefix("system:") ? String(text.dropFirst(7)) : text)
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What a history entry records: a hold's transition, a waitlist decision or a check-in step.
/// Stored and served as its raw value (`HOLD_PLACED`, `WAITLIST_ASSIGNED`, `CHECKIN_COMPLETED`...).
public enum FlightEventKind: Sendable, Hashable, RawRepresentable, Codable, CustomStringConvertible {
    case hold(HoldTransition.Kind)
    case waitlist(WaitlistEventKind)
    case checkIn(CheckInEvent.Kind)

    public init?(rawValue: String) {
        if let kind = HoldTransition.Kind(rawValue: rawValue) {
            self = .hold(kind)
        } else if let kind = WaitlistEventKind(rawValue: rawValue) {
            self = .waitlist(kind)
        } else if let kind = CheckInEvent.Kind(rawValue: rawValue) {
            self = .checkIn(kind)
        } else {
            return nil
        }
    }

    public var rawValue: String {
        switch self {
        case .hold(let kind): kind.rawValue
        case .waitlist(let kind): kind.rawValue
        case .checkIn(let kind): kind.rawValue
        }
    }

    public var description: String { rawValue }
}

/// One entry of a flight's append-only history: what happened, to which seat and hold, who did
/// it, when, and the state before and after. Seat-changing events carry the flight's seat-map
/// version they produced.
public struct FlightEvent: Sendable, Equatable, Codable {
    public let sequence: Int64
    public let flightID: FlightID
    public let kind: FlightEventKind
    public let seatID: SeatID?
    public let holdID: HoldID?
    public let passengerID: PassengerID?
    public let waitlistID: UUID?
    public let checkinID: UUID?
    public let actor: EventActor
    public let fromState: String?
    public let toState: String?
    public let version: Int64?
    public let at: Date
    public let detail: String?

    public init(sequence: Int64, flightID: FlightID, kind: FlightEventKind, seatID: SeatID?, holdID: HoldID?,
                passengerID: PassengerID?, waitlistID: UUID? = nil, checkinID: UUID? = nil, actor: EventActor, fromState: String?, toState: String?,
                version: Int64?, at: Date, detail: String?) {
        self.sequence = sequence
        self.flightID = flightID
        self.kind = kind
        self.seatID = seatID
        self.holdID = holdID
        self.passengerID = passengerID
        self.waitlistID = waitlistID
        self.checkinID = checkinID
        self.actor = actor
        self.fromState = fromState
        self.toState = toState
        self.version = version
        self.at = at
        self.detail = detail
    }
}

/// Rebuilds seat states from a flight's history alone.
public enum SeatHistoryReplay {
    /// The state of every seat that any hold event touched, as the events leave it.
    public static func seatStates(_ events: [FlightEvent]) -> [SeatID: SeatState] {
        var holds: [HoldID: (seat: SeatID, state: HoldState)] = [:]
        for event in events.sorted(by: { $0.sequence < $1.sequence }) {
            guard let holdID = event.holdID, let seat = event.seatID,
                  let raw = event.toState, let state = HoldState(rawValue: raw) else { continue }
            holds[holdID] = (seat, state)
        }
        var states: [SeatID: SeatState] = [:]
        for (seat, state) in holds.values {
            let current = states[seat] ?? .available
            if current == .available { states[seat] = state.seatState }
        }
        return states
    }
}
