@testable import SkyHighPostgres
import SkyHighCore
import Testing

/// The store's deadline holds even when the work under it ignores cancellation, as a driver
/// waiting on a connection that never answers may.
@Suite(.timeLimit(.minutes(1)))
struct DeadlineTests {
    struct Expired: Error {}

    @Test func workThatIgnoresCancellationCostsOnlyTheLimit() async throws {
        let release = StartGate.closed()
        defer { release.openGate() }
        await #expect(throws: Expired.self) {
            try await Deadline.run(within: .milliseconds(50), expired: { Expired() }) {
                await release.wait() // deaf to cancellation, as a lost driver callback is
                return 1
            }
        }
    }

    @Test func workThatEndsInTimeGivesItsResultOrItsError() async throws {
        let value = try await Deadline.run(within: .seconds(30), expired: { Expired() }) { 42 }
        #expect(value == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await Deadline.run(within: .seconds(30), expired: { Expired() }) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func theCallersCancellationEndsTheWaitAndCancelsTheWork() async throws {
        let release = StartGate.closed()
        defer { release.openGate() }
        let workCancelled = StartGate.closed()
        let caller = Task {
            try await Deadline.run(within: .seconds(600), expired: { Expired() }) {
                await withTaskCancellationHandler {
                    await release.wait()
                } onCancel: {
                    workCancelled.openGate()
                }
                return 1
            }
        }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        await workCancelled.wait()
    }

    @Test func workThatHasStartedIsNoLongerHeldToTheLimit() async throws {
        let value = try await Deadline.run(startingWithin: .milliseconds(50), expired: { Expired() }) { started in
            started()
            try await Task.sleep(for: .milliseconds(300))
            return 7
        }
        #expect(value == 7)
    }

    @Test func workThatNeverStartsCostsOnlyTheLimit() async throws {
        let release = StartGate.closed()
        defer { release.openGate() }
        await #expect(throws: Expired.self) {
            try await Deadline.run(startingWithin: .milliseconds(50), expired: { Expired() }) { _ in
                await release.wait() // a LISTEN the driver never answers
                return 1
            }
        }
    }
}
