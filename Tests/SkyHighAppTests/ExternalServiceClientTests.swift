import Foundation
import SkyHighApp
import SkyHighCore
import SkyHighTestSupport
import Testing

/// The HTTP clients, with their retries, time limits and breaker, against the mock services
/// running on a real local socket.
@Suite struct ExternalServiceClientTests {
    static let secret = "webhook-secret-for-tests"
    let clock = ManualClock()
    let settled = Observed<Data>()

    var mocks: MockServices {
        let settled = settled
        return MockServices(behaviour: MockBehaviour(), webhookSecret: Self.secret, clock: clock,
                            deliver: { body, _ in settled.report(body); return 200 })
    }

    func call(_ service: ServiceUnavailableError.Service, retries: Int = 2, timeout: Duration = .seconds(2),
              threshold: Int = 5) -> ResilientCall {
        ResilientCall(breaker: CircuitBreaker(service: service, failureThreshold: threshold, coolDown: 10, clock: clock),
                      timeout: timeout, retries: retries, sleep: { _ in })
    }

    func weights(_ base: URL, retries: Int = 2, timeout: Duration = .seconds(2),
                 threshold: Int = 5) -> ResilientService<any WeightService> {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return ResilientService(HTTPWeightService(baseURL: base, timeout: seconds),
                                      call: call(.weight, retries: retries, timeout: timeout, threshold: threshold))
    }

    func payments(_ base: URL) -> ResilientService<any PaymentService> {
        ResilientService(HTTPPaymentService(baseURL: base, timeout: 2), call: call(.payment))
    }

    func request(key: String = "checkin-1-excess-1", amount: Int64 = 5000, checkin: UUID = UUID()) -> PaymentIntentRequest {
        PaymentIntentRequest(amount: Money(amount: amount, currency: "EUR"), idempotencyKey: key, checkinID: checkin,
                             description: "Excess baggage: 5 kg")
    }

    @Test func aBagWeighsWhatWasDeclaredElseFifteenKilograms() async throws {
        let mocks = mocks
        mocks.weight.setWeight(31_200, for: BagTag("HEAVY1")!)
        try await LocalServer.runMockServices(mocks) { base async throws in
            let weights = weights(base)
            #expect(try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: 23_456) == 23_456)
            #expect(try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC124")!, declaredGrams: nil) == 15_000)
            #expect(try await weights.weigh(checkinID: UUID(), tag: BagTag("HEAVY1")!, declaredGrams: 20_000) == 31_200)
        }
    }

    @Test func theSameIdempotencyKeyGetsTheSameIntent() async throws {
        let mocks = mocks
        try await LocalServer.runMockServices(mocks) { base async throws in
            let payments = payments(base)
            let request = request()
            let first = try await payments.createIntent(request)
            let again = try await payments.createIntent(request)
            #expect(first == again)
            #expect(first.id.hasPrefix("pi_"))
            #expect(first.amount == Money(amount: 5000, currency: "EUR") && first.status == .pending)
            #expect(mocks.payment.intentCount == 1)
            let other = try await payments.createIntent(self.request(key: "checkin-1-excess-2"))
            #expect(other.id != first.id)
            #expect(mocks.payment.intentCount == 2)
        }
    }

    @Test func anIntentIsReadBackAsTheServiceSettledIt() async throws {
        let mocks = mocks
        try await LocalServer.runMockServices(mocks) { base async throws in
            let payments = payments(base)
            let intent = try await payments.createIntent(request())
            #expect(try await payments.intent(intent.id)?.status == .pending)
            _ = try await mocks.payment.settle(intent.id, succeeded: false, reason: "insufficient funds")
            let failed = try #require(try await payments.intent(intent.id))
            #expect(failed.status == .failed && failed.failureReason == "insufficient funds")
            #expect(try await payments.intent("pi_unknown") == nil)
        }
    }

    @Test func aKeyReusedForAnotherAmountIsRefusedOnce() async throws {
        let mocks = mocks
        try await LocalServer.runMockServices(mocks) { base async throws in
            let payments = payments(base)
            _ = try await payments.createIntent(request(amount: 5000))
            let error = await #expect(throws: ServiceUnavailableError.self) {
                try await payments.createIntent(request(amount: 6000))
            }
            #expect(error?.reason.contains("422") == true)
            #expect(mocks.payment.intentCount == 1)
        }
    }

    @Test func aFailingServiceIsUnavailableAfterTheRetries() async throws {
        let mocks = mocks
        mocks.behaviour.set(failureRate: 1)
        try await LocalServer.runMockServices(mocks) { base async throws in
            let weights = weights(base)
            let error = await #expect(throws: ServiceUnavailableError.self) {
                try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil)
            }
            #expect(error?.service == .weight)
            #expect(error?.reason.contains("503") == true)
            #expect(mocks.weight.callCount == 3)
            mocks.behaviour.set(failureRate: 0)
            #expect(try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil) == 15_000)
        }
    }

    @Test func aServiceThatCannotBeReachedIsUnavailableAfterTheRetries() async throws {
        let weights = weights(try #require(URL(string: "http://127.0.0.1:1")))
        let error = await #expect(throws: ServiceUnavailableError.self) {
            try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil)
        }
        #expect(error?.reason.contains("could not be reached") == true && error?.reason.contains("3 attempts") == true)
        #expect(weights.call.breaker.state == .closed(consecutiveFailures: 3))
    }

    @Test func aServiceSlowerThanTheTimeLimitIsUnavailable() async throws {
        let mocks = mocks
        // The mock answers after 5 s; a call that gives up at 100 ms returns long before, however
        // loaded the machine.
        mocks.behaviour.set(latencyMs: 5_000)
        try await LocalServer.runMockServices(mocks) { base async throws in
            let weights = weights(base, retries: 0, timeout: .milliseconds(100))
            let started = ContinuousClock.now
            let error = await #expect(throws: ServiceUnavailableError.self) {
                try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil)
            }
            #expect(error?.reason == "timed out after 100 ms")
            #expect(ContinuousClock.now - started < .seconds(4))
            mocks.behaviour.set(latencyMs: 0)
        }
    }

    @Test func theBreakerOpensThenFailsFastThenTriesAgainAfterTheCoolDown() async throws {
        let mocks = mocks
        mocks.behaviour.set(failureRate: 1)
        try await LocalServer.runMockServices(mocks) { base async throws in
            let weights = weights(base, retries: 0, threshold: 2)
            for _ in 0..<2 {
                await #expect(throws: ServiceUnavailableError.self) {
                    try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil)
                }
            }
            #expect(mocks.weight.callCount == 2)
            await #expect(throws: ServiceUnavailableError(.weight, "circuit open")) {
                try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil)
            }
            #expect(mocks.weight.callCount == 2)
            mocks.behaviour.set(failureRate: 0)
            clock.advance(by: 10)
            #expect(try await weights.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil) == 15_000)
            #expect(weights.call.breaker.state == .closed(consecutiveFailures: 0))
        }
    }
}
