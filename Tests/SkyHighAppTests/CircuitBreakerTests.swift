import Foundation
import SkyHighApp
import SkyHighCore
import Testing

/// The breaker's decisions one transition a line, then the shared breaker on an injected clock.
@Suite struct CircuitBreakerTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func opensAfterTheThresholdOfConsecutiveFailures() {
        var machine = CircuitBreakerMachine(failureThreshold: 3, coolDown: 10)
        #expect(machine.admit(at: start) == .proceed)
        #expect(machine.failed(at: start) == nil)
        #expect(machine.failed(at: start) == nil)
        #expect(machine.state == .closed(consecutiveFailures: 2))
        #expect(machine.failed(at: start + 1) == .opened)
        #expect(machine.state == .open(since: start + 1))
    }

    @Test func aSuccessStartsTheCountAgain() {
        var machine = CircuitBreakerMachine(failureThreshold: 2, coolDown: 10)
        #expect(machine.failed(at: start) == nil)
        #expect(machine.succeeded() == nil)
        #expect(machine.failed(at: start) == nil)
        #expect(machine.state == .closed(consecutiveFailures: 1))
    }

    @Test func openFailsFastUntilTheCoolDownThenLetsOneTrialThrough() {
        var machine = CircuitBreakerMachine(failureThreshold: 1, coolDown: 10)
        #expect(machine.failed(at: start) == .opened)
        #expect(machine.admit(at: start + 9.999) == .failFast)
        #expect(machine.admit(at: start + 10) == .trial)
        #expect(machine.state == .halfOpen(trialInFlight: true))
        #expect(machine.admit(at: start + 10) == .failFast)
    }

    @Test func aSuccessfulTrialCloses() {
        var machine = CircuitBreakerMachine(failureThreshold: 1, coolDown: 10)
        _ = machine.failed(at: start)
        #expect(machine.admit(at: start + 10) == .trial)
        #expect(machine.succeeded() == .closed)
        #expect(machine.state == .closed(consecutiveFailures: 0))
        #expect(machine.admit(at: start + 10) == .proceed)
    }

    @Test func aFailedTrialOpensForAnotherCoolDown() {
        var machine = CircuitBreakerMachine(failureThreshold: 1, coolDown: 10)
        _ = machine.failed(at: start)
        #expect(machine.admit(at: start + 12) == .trial)
        #expect(machine.failed(at: start + 12) == .opened)
        #expect(machine.admit(at: start + 21) == .failFast)
        #expect(machine.admit(at: start + 22) == .trial)
    }

    @Test func anAbandonedTrialLetsTheNextCallBeTheTrial() {
        var machine = CircuitBreakerMachine(failureThreshold: 1, coolDown: 10)
        _ = machine.failed(at: start)
        #expect(machine.admit(at: start + 10) == .trial)
        machine.abandoned()
        #expect(machine.state == .halfOpen(trialInFlight: false))
        #expect(machine.admit(at: start + 10) == .trial)
    }

    @Test func lateOutcomesWhileOpenChangeNothing() {
        var machine = CircuitBreakerMachine(failureThreshold: 1, coolDown: 10)
        _ = machine.failed(at: start)
        #expect(machine.succeeded() == nil)
        #expect(machine.failed(at: start + 5) == nil)
        #expect(machine.state == .open(since: start))
    }

    @Test func theSharedBreakerFailsFastOnItsClockAndRecovers() throws {
        let clock = ManualClock(start)
        let breaker = CircuitBreaker(service: .weight, failureThreshold: 2, coolDown: 10, clock: clock)
        #expect(try breaker.admit() == .proceed)
        breaker.failed()
        breaker.failed()
        #expect(throws: ServiceUnavailableError(.weight, "circuit open")) { try breaker.admit() }
        clock.advance(by: 10)
        #expect(try breaker.admit() == .trial)
        #expect(throws: ServiceUnavailableError(.weight, "circuit open")) { try breaker.admit() }
        breaker.succeeded()
        #expect(breaker.state == .closed(consecutiveFailures: 0))
    }
}
