import Foundation
import SkyHighApp
import SkyHighCore
import SkyHighTestSupport
import Testing

/// Retries, time limits and the breaker around one operation, with the backoff recorded instead
/// of waited.
@Suite struct ResilientCallTests {
    let clock = ManualClock()

    /// A call whose waits between attempts are reported to `sleeps` and return at once.
    func call(retries: Int = 2, timeout: Duration = .seconds(2), threshold: Int = 5,
              sleeps: Observed<Duration> = Observed()) -> ResilientCall {
        ResilientCall(breaker: CircuitBreaker(service: .payment, failureThreshold: threshold, clock: clock),
                      timeout: timeout, retries: retries, backoff: .milliseconds(50),
                      sleep: { sleeps.report($0) }, random: { 0 })
    }

    @Test func aFlakyOperationIsRetriedWithGrowingBackoff() async throws {
        let sleeps = Observed<Duration>()
        let attempts = Observed<Int>()
        let answer = try await call(sleeps: sleeps).run {
            attempts.report(attempts.all.count + 1)
            if attempts.all.count < 3 { throw ServiceCallFailure.status(503, body: Data()) }
            return "weighed"
        }
        #expect(answer == "weighed")
        #expect(attempts.all.count == 3)
        #expect(sleeps.all == [.milliseconds(50), .milliseconds(100)])
    }

    @Test func jitterAddsUpToHalfTheBackoff() {
        let call = ResilientCall(breaker: CircuitBreaker(service: .weight, clock: clock), backoff: .milliseconds(50),
                                 random: { 0.999 })
        #expect(call.delay(beforeRetry: 0) > .milliseconds(74) && call.delay(beforeRetry: 0) < .milliseconds(75))
        #expect(call.delay(beforeRetry: 1) > .milliseconds(149) && call.delay(beforeRetry: 1) < .milliseconds(150))
    }

    @Test func aRefusedRequestIsNotRetriedAndDoesNotCountAgainstTheService() async throws {
        let attempts = Observed<Int>()
        let call = call()
        let error = await #expect(throws: ServiceUnavailableError.self) {
            try await call.run { () async throws -> Int in
                attempts.report(1)
                throw ServiceCallFailure.status(422, body: Data(#"{"error":"bad amount"}"#.utf8))
            }
        }
        #expect(error?.service == .payment)
        #expect(error?.reason.contains("422") == true)
        #expect(attempts.all.count == 1)
        #expect(call.breaker.state == .closed(consecutiveFailures: 0))
    }

    @Test func tooManyRequestsIsRetried() async throws {
        let attempts = Observed<Int>()
        let answer = try await call().run {
            attempts.report(1)
            if attempts.all.count == 1 { throw ServiceCallFailure.status(429, body: Data()) }
            return 7
        }
        #expect(answer == 7)
        #expect(attempts.all.count == 2)
    }

    @Test func failuresThatOutlastTheRetriesAreUnavailableAndCountedByTheBreaker() async throws {
        let call = call(retries: 2)
        let error = await #expect(throws: ServiceUnavailableError.self) {
            try await call.run { () async throws -> Int in throw URLError(.cannotConnectToHost) }
        }
        #expect(error?.reason.contains("3 attempts") == true)
        #expect(call.breaker.state == .closed(consecutiveFailures: 3))
    }

    @Test func anOperationThatDoesNotAnswerInTimeIsUnavailable() async throws {
        let (never, held) = AsyncStream.makeStream(of: Int.self)
        defer { held.finish() }
        let call = call(retries: 0, timeout: .milliseconds(50))
        let error = await #expect(throws: ServiceUnavailableError.self) {
            try await call.run { () async throws -> Int in
                for await value in never { return value }
                throw CancellationError()
            }
        }
        #expect(error?.reason == "timed out after 50 ms")
    }

    @Test func anOpenBreakerStopsTheRetriesWithoutCalling() async throws {
        let attempts = Observed<Int>()
        let call = call(retries: 5, threshold: 2)
        let error = await #expect(throws: ServiceUnavailableError.self) {
            try await call.run { () async throws -> Int in
                attempts.report(1)
                throw ServiceUnavailableError(.payment, "simulated failure")
            }
        }
        #expect(error == ServiceUnavailableError(.payment, "circuit open"))
        #expect(attempts.all.count == 2)
        await #expect(throws: ServiceUnavailableError(.payment, "circuit open")) {
            try await call.run { attempts.report(1) }
        }
        #expect(attempts.all.count == 2)
    }
}
