import HTTPTypes
import NIOCore
@testable import SkyHighAPI
import Testing

/// The decisions behind the connection guard, one event per line, on a clock the test names.
@Suite struct ConnectionStateTests {
    static let settings = ConnectionSettings(idleTimeout: .seconds(60), requestTimeout: .seconds(10),
                                             maxConnections: 10, drainLimit: 100, refusalLinger: .seconds(1))
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Double) -> NIODeadline { Self.start + .milliseconds(Int64(seconds * 1000)) }

    func fresh() -> ConnectionState { ConnectionState(Self.settings, now: at(0)) }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() {
        var state = fresh()
        #expect(state.deadlinePassed(now: at(0)) == .wait(until: at(10)), "looked at least once per request timeout")
        #expect(state.deadlinePassed(now: at(55)) == .wait(until: at(60)))
        #expect(state.deadlinePassed(now: at(60)) == .close(.idle))
    }

    @Test func eachAnsweredRequestStartsTheIdleSpellAgain() {
        var state = fresh()
        #expect(state.headReceived(now: at(30)) == .forward)
        #expect(state.endReceived(now: at(30)) == .forward)
        #expect(state.deadlinePassed(now: at(60)) == .wait(until: at(70)), "a request with the application is not idle")
        #expect(state.answerHeadWritten(status: .ok) == false)
        #expect(state.answerEndWritten(now: at(61)) == false)
        #expect(state.deadlinePassed(now: at(115)) == .wait(until: at(121)))
        #expect(state.deadlinePassed(now: at(121)) == .close(.idle))
    }

    @Test func aLiveStreamIsNeverIdle() {
        var state = fresh()
        _ = state.headReceived(now: at(0))
        _ = state.endReceived(now: at(0))
        #expect(state.answerHeadWritten(status: .ok) == false)
        #expect(state.deadlinePassed(now: at(3600)) == .wait(until: at(3610)))
    }

    @Test func aHeadThatDoesNotArriveInTimeIsAnswered408() {
        var state = fresh()
        #expect(state.readComplete(sawParts: false, now: at(2)) == false, "the first bytes of a head")
        #expect(state.readComplete(sawParts: false, now: at(5)) == false, "more bytes do not move the deadline")
        #expect(state.deadlinePassed(now: at(10)) == .wait(until: at(12)))
        #expect(state.deadlinePassed(now: at(12)) == .answerTimeout)
        #expect(state.headReceived(now: at(12)) == .discard, "too late")
        #expect(state.answerSent() == .close(.requestTimeout))
        #expect(state.deadlinePassed(now: at(13)) == .close(.requestTimeout), "or when the answer cannot go out")
    }

    @Test func aTrickledBodyIsCutOffWithoutAnAnswer() {
        var state = fresh()
        #expect(state.headReceived(now: at(1)) == .forward)
        #expect(state.bodyReceived(bytes: 1) == .forward)
        #expect(state.readComplete(sawParts: true, now: at(5)) == false)
        #expect(state.deadlinePassed(now: at(11)) == .close(.requestTimeout), "the application has the request: no 408")
    }

    @Test func anEarlyAnswerIsFollowedByABoundedDrain() {
        var state = fresh()
        _ = state.headReceived(now: at(0))
        #expect(state.answerHeadWritten(status: .contentTooLarge) == true, "Connection: close")
        #expect(state.answerEndWritten(now: at(0)) == true)
        #expect(state.answerSent() == .readMore)
        #expect(state.readComplete(sawParts: true, now: at(1)) == true, "read on past back-pressure")
        #expect(state.bodyReceived(bytes: 60) == .discard)
        #expect(state.bodyReceived(bytes: 60) == .close(.answeredEarly), "past the drain limit")
    }

    @Test func anEarlyAnswerClosesOnceItIsOutAndTheRequestIsIn() {
        var state = fresh()
        _ = state.headReceived(now: at(0))
        #expect(state.answerHeadWritten(status: .unauthorized) == true)
        #expect(state.bodyReceived(bytes: 10) == .discard)
        #expect(state.endReceived(now: at(1)) == .discard)
        #expect(state.answerEndWritten(now: at(1)) == true)
        #expect(state.answerSent() == .close(.answeredEarly))
    }

    @Test func theDrainEndsAtTheRequestsDeadline() {
        var state = fresh()
        _ = state.headReceived(now: at(2))
        _ = state.answerHeadWritten(status: .contentTooLarge)
        _ = state.answerEndWritten(now: at(2))
        #expect(state.answerSent() == .readMore)
        #expect(state.deadlinePassed(now: at(11)) == .wait(until: at(12)))
        #expect(state.deadlinePassed(now: at(12)) == .close(.answeredEarly))
    }

    @Test func answersToEarlierPipelinedRequestsAreNotEarly() {
        var state = fresh()
        _ = state.headReceived(now: at(0))
        _ = state.endReceived(now: at(0))
        _ = state.headReceived(now: at(0))
        #expect(state.answerHeadWritten(status: .ok) == false, "the first request's answer")
        #expect(state.answerEndWritten(now: at(0)) == false)
        #expect(state.answerHeadWritten(status: .badRequest) == true, "the second's, before its body is in")
    }

    @Test func requestsAnsweredInPlaceAreNotEarly() {
        var state = fresh()
        #expect(state.headReceived(now: at(0)) == .forward)
        state.answeredInPlace(now: at(0))
        #expect(state.endReceived(now: at(1)) == .forward)
        #expect(state.deadlinePassed(now: at(60)) == .wait(until: at(61)))
        #expect(state.deadlinePassed(now: at(61)) == .close(.idle))
    }

    @Test func overTheLimitTheFirstRequestIsAnswered503() {
        var state = fresh()
        state.refuse(now: at(0))
        #expect(state.deadlinePassed(now: at(0)) == .wait(until: at(1)))
        #expect(state.headReceived(now: at(0.1)) == .refuseOverLimit)
        #expect(state.endReceived(now: at(0.1)) == .discard)
        #expect(state.answerSent() == .close(.overLimit))
    }

    @Test func overTheLimitASilentClientIsClosedAfterTheLinger() {
        var state = fresh()
        state.refuse(now: at(0))
        #expect(state.deadlinePassed(now: at(1)) == .close(.overLimit))
    }

    @Test func aMalformedRequestIsClosedOnceItsAnswerIsOut() {
        var state = fresh()
        _ = state.readComplete(sawParts: false, now: at(0))
        state.parseFailed(now: at(0))
        #expect(state.answerHeadWritten(status: .badRequest) == true)
        #expect(state.answerEndWritten(now: at(0)) == true)
        #expect(state.answerSent() == .close(.malformed))
    }

    @Test func informationalHeadsAreNotAnswers() {
        var state = fresh()
        _ = state.headReceived(now: at(0))
        #expect(state.answerHeadWritten(status: .continue) == false)
        #expect(state.answerHeadWritten(status: .ok) == true)
    }
}
