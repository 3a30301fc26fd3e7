import Foundation
import Logging
import SkyHighCore
import Synchronization

/// One breaker per external service, shared by every call to it: after repeated failures calls
/// fail at once with a retryable error instead of each waiting out a timeout against a service
/// that is down, and the service gets a rest before a single trial call tests it again.
public final class CircuitBreaker: Sendable {
    public let service: ServiceUnavailableError.Service
    private let clock: any WallClock
    private let logger: Logger
    private let machine: Mutex<CircuitBreakerMachine>

    public init(service: ServiceUnavailableError.Service, failureThreshold: Int = 5, coolDown: TimeInterval = 10,
                clock: any WallClock, logger: Logger = Logger(label: "skyhigh.services")) {
        self.service = service
        self.clock = clock
        self.logger = logger
        machine = Mutex(CircuitBreakerMachine(failureThreshold: failureThreshold, coolDown: coolDown))
    }

    public var state: CircuitBreakerMachine.State { machine.withLock { $0.state } }

    /// Asks to make one call. Throws ``ServiceUnavailableError`` ("circuit open") when the breaker
    /// refuses it; otherwise the caller must report the outcome with `succeeded`, `failed` or
    /// (for a trial it gave up on) `abandoned`.
    public func admit() throws -> CircuitBreakerMachine.Admission {
        let now = clock.now()
        let admission = machine.withLock { $0.admit(at: now) }
        if admission == .failFast { throw ServiceUnavailableError(service, "circuit open") }
        return admission
    }

    public func succeeded() {
        log(machine.withLock { $0.succeeded() })
    }

    public func failed() {
        let now = clock.now()
        log(machine.withLock { $0.failed(at: now) })
    }

    public func abandoned(_ admission: CircuitBreakerMachine.Admission) {
        guard admission == .trial else { return }
        machine.withLock { $0.abandoned() }
    }

    private func log(_ change: CircuitBreakerMachine.Change?) {
        switch change {
        case .opened: logger.warning("circuit opened", metadata: ["service": "\(service.rawValue)"])
        case .closed: logger.info("circuit closed", metadata: ["service": "\(service.rawValue)"])
        case nil: break
        }
    }
}
