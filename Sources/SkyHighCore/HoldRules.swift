import Foundation

/// A change of one hold's state, with what caused it: the unit the event history records.
public struct HoldTransition: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case placed = "HOLD_PLACED"
        case confirmed = "HOLD_CONFIRMED"
        case cancelled = "HOLD_CANCELLED"
        /// Given up by the passenger's next hold or by a completed seat change.
        case released = "HOLD_RELEASED"
        case expired = "HOLD_EXPIRED"
        /// Placed CONFIRMED by the waitlist for a freed seat.
        case assigned = "HOLD_ASSIGNED"
    }

    /// Whether this transition makes its seat available.
    public var freesSeat: Bool {
        (from == .held || from == .confirmed) && (hold.state == .cancelled || hold.state == .expired)
    }

    public let kind: Kind
    public let from: HoldState?
    public let hold: Hold
    public let actor: EventActor

    public init(kind: Kind, from: HoldState?, hold: Hold, actor: EventActor) {
        self.kind = kind
        self.from = from
        self.hold = hold
        self.actor = actor
    }
}

/// What a new hold does: stale holds of the passenger it expires, the passenger's other HELD
/// hold it releases, and the hold it creates. The store applies it in one transaction, and the
/// store's uniqueness rule, not this plan, decides whether the seat is still free.
public struct HoldPlacement: Sendable, Equatable {
    public let transitions: [HoldTransition]
    public var newHold: Hold { transitions.last!.hold }
}

/// What confirming a hold does: the confirmed hold, and the passenger's previously confirmed
/// seat released when this is a seat change.
public struct HoldConfirmation: Sendable, Equatable {
    public let transitions: [HoldTransition]
    public var confirmed: Hold { transitions.last!.hold }
}

/// The seat and hold rules, as pure functions over values. Stores load the rows, ask these
/// functions, and write the result with conditional updates.
public enum HoldRules {
    /// Plans a hold of `seatID` for a passenger whose current HELD and CONFIRMED holds on the
    /// flight are `passengerHolds`.
    public static func place(
        id: HoldID, flight: Flight, seatID: SeatID, passengerID: PassengerID,
        passengerHolds: [Hold], now: Date, duration: TimeInterval
    ) throws(DomainError) -> HoldPlacement {
        guard !flight.hasDeparted(at: now) else { throw .flightDeparted(flight.id) }
        let actor = EventActor.passenger(passengerID)
        var transitions: [HoldTransition] = []
        for existing in passengerHolds where existing.state == .held || existing.state == .confirmed {
            if existing.isExpired(at: now) {
                transitions.append(try expire(existing, at: now))
            } else if existing.seatID == seatID {
                throw .alreadyHoldingSeat(seatID)
            } else if existing.state == .held {
                transitions.append(transition(existing, to: .cancelled, kind: .released, at: now, actor: actor))
            }
        }
        let hold = Hold(id: id, flightID: flight.id, seatID: seatID, passengerID: passengerID, state: .held,
                        createdAt: now, expiresAt: (now + duration).truncatedToMilliseconds, updatedAt: now)
        transitions.append(HoldTransition(kind: .placed, from: nil, hold: hold, actor: actor))
        return HoldPlacement(transitions: transitions)
    }

    /// Plans the CONFIRMED hold the waitlist gives a passenger: like a confirmed seat change,
    /// it releases whatever seat the passenger held or had confirmed on the flight.
    public static func assignFromWaitlist(
        id: HoldID, flightID: FlightID, seatID: SeatID, passengerID: PassengerID, passengerHolds: [Hold], now: Date
    ) -> HoldPlacement {
        let actor = EventActor.system("waitlist")
        var transitions: [HoldTransition] = []
        for existing in passengerHolds where existing.state == .held || existing.state == .confirmed {
            transitions.append(existing.isExpired(at: now)
                ? transition(existing, to: .expired, kind: .expired, at: now, actor: .system("expiry"))
                : transition(existing, to: .cancelled, kind: .released, at: now, actor: actor))
        }
        let hold = Hold(id: id, flightID: flightID, seatID: seatID, passengerID: passengerID, state: .confirmed,
                        createdAt: now, expiresAt: now, updatedAt: now)
        transitions.append(HoldTransition(kind: .assigned, from: nil, hold: hold, actor: actor))
        return HoldPlacement(transitions: transitions)
    }

    /// Confirms `hold` for `passengerID`; `previouslyConfirmed` is the passenger's CONFIRMED hold
    /// on the flight, if any, which a confirmed seat change releases.
    public static func confirm(
        _ hold: Hold, by passengerID: PassengerID, previouslyConfirmed: Hold?, now: Date
    ) throws(DomainError) -> HoldConfirmation {
        guard hold.passengerID == passengerID else { throw .notYourBooking }
        if hold.isExpired(at: now) || hold.state == .expired { throw .holdExpired(hold.id) }
        guard hold.state == .held else { throw .holdNotHeld(hold.state) }
        let actor = EventActor.passenger(passengerID)
        var transitions: [HoldTransition] = []
        if let previous = previouslyConfirmed, previous.id != hold.id, previous.state == .confirmed {
            transitions.append(transition(previous, to: .cancelled, kind: .released, at: now, actor: actor))
        }
        transitions.append(transition(hold, to: .confirmed, kind: .confirmed, at: now, actor: actor))
        return HoldConfirmation(transitions: transitions)
    }

    /// Cancels a HELD or CONFIRMED hold before departure.
    public static func cancel(
        _ hold: Hold, by passengerID: PassengerID, flight: Flight, now: Date
    ) throws(DomainError) -> HoldTransition {
        guard hold.passengerID == passengerID else { throw .notYourBooking }
        guard !flight.hasDeparted(at: now) else { throw .flightDeparted(flight.id) }
        if hold.isExpired(at: now) || hold.state == .expired { throw .holdExpired(hold.id) }
        guard hold.state == .held || hold.state == .confirmed else { throw .holdNotActive(hold.state) }
        return transition(hold, to: .cancelled, kind: .cancelled, at: now, actor: .passenger(passengerID))
    }

    /// Marks a HELD hold whose time is up as EXPIRED.
    public static func expire(_ hold: Hold, at now: Date) throws(DomainError) -> HoldTransition {
        guard hold.isExpired(at: now) else { throw .holdNotHeld(hold.state) }
        return transition(hold, to: .expired, kind: .expired, at: now, actor: .system("expiry"))
    }

    private static func transition(
        _ hold: Hold, to state: HoldState, kind: HoldTransition.Kind, at now: Date, actor: EventActor
    ) -> HoldTransition {
        var changed = hold
        changed.state = state
        changed.updatedAt = now
        return HoldTransition(kind: kind, from: hold.state, hold: changed, actor: actor)
    }
}

extension HoldRules {
    /// The transition for a hold the store found past its expiry and marked EXPIRED in the
    /// same statement (`UPDATE ... WHERE state = 'HELD' AND expires_at <= now`).
    public static func sweptExpiry(_ expired: Hold) -> HoldTransition {
        HoldTransition(kind: .expired, from: .held, hold: expired, actor: .system("expiry"))
    }
}
