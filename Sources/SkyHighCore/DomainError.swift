import Foundation

/// Every way a domain operation can refuse. Mapped to HTTP in exactly one place (the API's
/// problem mapping); none of them is a server fault.
public enum DomainError: Error, Equatable, Sendable {
    // Unknown things (404).
    case flightNotFound(FlightID)
    case seatNotFound(FlightID, SeatID)
    case holdNotFound(HoldID)
    case passengerNotFound(PassengerID)
    // Authentication and ownership (401, 403).
    case signInFailed
    case notSignedIn
    case notYourBooking
    case notOnThisFlight(FlightID)
    // Conflicts with current state (409, 410).
    case seatUnavailable(SeatID)
    case alreadyHoldingSeat(SeatID)
    case holdNotHeld(HoldState)
    case holdNotActive(HoldState)
    case holdExpired(HoldID)
    case flightDeparted(FlightID)
    case flightExists(FlightID)
    case bookingExists(BookingReference)
    case waitlistEntryNotFound(UUID)
    case waitlistEntryNotWaiting(WaitlistState)
    case alreadyWaiting(UUID)
    case waitlistClosed(FlightID)
    case jobNotFound(UUID)
    case jobNotDead(JobState)
    /// Another request for the same passenger changed their holds at the same moment.
    case concurrentChange
    // Check-in, baggage and payment.
    case checkInNotFound(UUID)
    case checkInClosed(FlightID)
    case checkInNotOpen(CheckInState)
    /// Completing needs these (`seat`, `payment`).
    case checkInIncomplete([String])
    case boardingPassNotIssued(CheckInState)
    case bagExists(BagTag)
    case bagNotFound(BagTag)
    case paymentPending(String)
    case nothingToPay
    // Well-formed but invalid input (422).
    case invalid(_ field: String, _ reason: String)
}

/// The store could not be reached or answered with a transient failure: retry later (503).
public struct StoreUnavailableError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "store unavailable: \(reason)" }
}
