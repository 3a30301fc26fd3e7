import Synchronization
@testable import SkyHighCore
import Testing

/// Several tasks waiting on one signal: none is lost, whether the signal or the time ends the wait.
@Suite struct WakeSignalTests {
    /// The waits' results, polled on a bounded loop of its own (not on a WakeSignal, which is what
    /// is tested): a lost waiter shows as a missing result, never as a test that hangs.
    final class Results: Sendable {
        let values = Mutex<[Bool]>([])

        func waitFor(_ count: Int) async -> [Bool] {
            for _ in 0..<3_000 where values.withLock({ $0.count }) < count {
                try? await Task.sleep(for: .milliseconds(10))
            }
            return values.withLock { $0 }
        }
    }

    static func waiters(_ count: Int, on signal: WakeSignal, upTo timeout: Duration) -> Results {
        let results = Results()
        for _ in 0..<count {
            Task {
                let signalled = await signal.wait(upTo: timeout)
                results.values.withLock { $0.append(signalled) }
            }
        }
        return results
    }

    @Test func everyWaiterIsWokenByOneSignal() async {
        let signal = WakeSignal()
        let results = Self.waiters(5, on: signal, upTo: .seconds(3_600))
        for _ in 0..<3_000 where signal.waiting < 5 { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(signal.waiting == 5)
        signal.signal()
        #expect(await results.waitFor(5) == Array(repeating: true, count: 5))
        #expect(signal.waiting == 0)
    }

    @Test func everyWaiterEndsWhenItsTimeRunsOut() async {
        let signal = WakeSignal()
        let results = Self.waiters(5, on: signal, upTo: .milliseconds(20))
        #expect(await results.waitFor(5) == Array(repeating: false, count: 5))
        #expect(signal.waiting == 0)
    }

    @Test func aSignalWithNobodyWaitingEndsTheNextWaitOnly() async {
        let signal = WakeSignal()
        signal.signal()
        #expect(await signal.wait(upTo: .seconds(3_600)))
        #expect(await signal.wait(upTo: .milliseconds(20)) == false)
    }

    @Test func aCancelledWaitEndsAtOnce() async {
        let signal = WakeSignal()
        let waiter = Task { await signal.wait(upTo: .seconds(3_600)) }
        for _ in 0..<3_000 where signal.waiting < 1 { try? await Task.sleep(for: .milliseconds(10)) }
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(signal.waiting == 0)
    }
}
