import Foundation

/// The decisions of a circuit breaker, with no I/O and no locking: the caller feeds it events and
/// acts on what it answers. Kept a value type so every transition is tested one line at a time.
///
/// Closed lets every call through and counts consecutive failures; at `failureThreshold` it opens.
/// Open refuses calls until `coolDown` has passed since it opened; then it is half-open and lets one
/// trial call through. The trial's success closes it; its failure opens it again for another
/// cool-down.
public struct CircuitBreakerMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(since: Date)
        /// `trialInFlight`: the one call allowed through has not reported back yet.
        case halfOpen(trialInFlight: Bool)
    }

    /// What to do with a call that asks to go through.
    public enum Admission: Sendable, Equatable {
        case proceed
        /// The one call a half-open breaker lets through; its outcome decides the state.
        case trial
        /// Fail at once without touching the service.
        case failFast
    }

    /// A change of state worth logging.
    public enum Change: Sendable, Equatable {
        case opened
        case closed
    }

    public private(set) var state: State = .closed(consecutiveFailures: 0)
    public let failureThreshold: Int
    public let coolDown: TimeInterval

    public init(failureThreshold: Int = 5, coolDown: TimeInterval = 10) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDown
    }

    public mutating func admit(at now: Date) -> Admission {
        switch state {
        case .closed:
            return .proceed
        case .open(let since):
            guard now.timeIntervalSince(since) >= coolDown else { return .failFast }
            state = .halfOpen(trialInFlight: true)
            return .trial
        case .halfOpen(let trialInFlight):
            if trialInFlight { return .failFast }
            state = .halfOpen(trialInFlight: true)
            return .trial
        }
    }

    /// The service answered. A success that arrives while open (a call let through before it
    /// opened) changes nothing: only the trial may close it.
    public mutating func succeeded() -> Change? {
        switch state {
        case .closed:
            state = .closed(consecutiveFailures: 0)
            return nil
        case .open:
            return nil
        case .halfOpen:
            state = .closed(consecutiveFailures: 0)
            return .closed
        }
    }

    /// The service failed (timed out, refused the connection, answered 5xx or 429). A late failure
    /// while open does not extend the cool-down.
    public mutating func failed(at now: Date) -> Change? {
        switch state {
        case .closed(let failures):
            guard failures + 1 >= failureThreshold else {
                state = .closed(consecutiveFailures: failures + 1)
                return nil
            }
            state = .open(since: now)
            return .opened
        case .open:
            return nil
        case .halfOpen:
            state = .open(since: now)
            return .opened
        }
    }

    /// The trial call was given up (its caller was cancelled) before the service answered: that
    /// says nothing about the service, so the next call may be the trial instead. Only the call
    /// admitted as `.trial` reports this.
    public mutating func abandoned() {
        if case .halfOpen = state { state = .halfOpen(trialInFlight: false) }
    }
}
