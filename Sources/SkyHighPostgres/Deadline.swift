import Synchronization

/// Runs work against a time limit, and returns when the limit passes even if the work does not
/// end: the work is cancelled and left to finish on its own. A task group cannot do this, since
/// it waits for every child; a driver that misses a cancellation would hold the caller past the
/// limit.
enum Deadline {
    /// `work`'s result, or `expired()`'s error once `limit` has passed; the caller's cancellation
    /// cancels the work and throws `CancellationError`.
    static func run<T: Sendable>(within limit: Duration, expired: @escaping @Sendable () -> any Error,
                                 _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await run(startingWithin: limit, expired: expired) { _ in try await work() }
    }

    /// As ``run(within:expired:_:)``, for work that only has to get going in time (a listening
    /// session, which then lasts as long as it lasts): the limit holds until the work calls
    /// `started`, and from then on only the work's end or the caller's cancellation ends the wait.
    static func run<T: Sendable>(startingWithin limit: Duration, expired: @escaping @Sendable () -> any Error,
                                 _ work: @escaping @Sendable (_ started: @escaping @Sendable () -> Void) async throws -> T)
        async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.attach(continuation)
                let timer = Task {
                    try? await Task.sleep(for: limit)
                    if !Task.isCancelled { outcome.settle(.failure(expired())) }
                }
                let worker = Task {
                    do { outcome.settle(.success(try await work { timer.cancel() })) } catch { outcome.settle(.failure(error)) }
                }
                outcome.onSettle { timer.cancel(); worker.cancel() }
            }
        } onCancel: {
            outcome.settle(.failure(CancellationError()))
        }
    }

    /// The first of the work's result, the time limit and the caller's cancellation.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var result: Result<T, any Error>?
            var stop: (@Sendable () -> Void)?
        }

        private let state = Mutex(State())

        func attach(_ continuation: CheckedContinuation<T, any Error>) {
            let early = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        /// What stops the losers once there is an outcome (at once if there already is).
        func onSettle(_ stop: @escaping @Sendable () -> Void) {
            let settled = state.withLock { state in
                if state.result != nil { return true }
                state.stop = stop
                return false
            }
            if settled { stop() }
        }

        /// Records `result` if it is the first; returns whether it was.
        @discardableResult
        func settle(_ result: Result<T, any Error>) -> Bool {
            typealias Losers = (continuation: CheckedContinuation<T, any Error>?, stop: (@Sendable () -> Void)?)
            let first: Losers? = state.withLock { state in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.continuation = nil; state.stop = nil }
                return (state.continuation, state.stop)
            }
            guard let first else { return false }
            first.continuation?.resume(with: result)
            first.stop?()
            return true
        }
    }
}
