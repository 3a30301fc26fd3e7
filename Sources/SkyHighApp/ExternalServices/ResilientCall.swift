import Foundation
import SkyHighCore

/// Runs calls to one external service with a time limit per attempt, a few retries for failures
/// that another attempt may cure, and the service's circuit breaker in front. Whatever goes wrong
/// ends as ``ServiceUnavailableError``, which the API answers with a retryable 503: nothing about
/// the passenger's request was changed.
///
/// Retrying is safe for the calls it is used for: weighing a bag changes nothing, and payment
/// intents are created with an idempotency key.
public struct ResilientCall: Sendable {
    /// Waits between attempts; tests pass one that returns at once.
    public typealias Sleep = @Sendable (Duration) async throws -> Void

    public let breaker: CircuitBreaker
    /// Time limit for one attempt.
    public let timeout: Duration
    /// Attempts after the first; only transient failures are retried.
    public let retries: Int
    /// Wait before the first retry; it doubles for each further retry, plus up to half again at
    /// random so that many callers failing together do not retry together.
    public let backoff: Duration
    private let sleep: Sleep
    private let random: @Sendable () -> Double

    public init(breaker: CircuitBreaker, timeout: Duration = .seconds(2), retries: Int = 2,
                backoff: Duration = .milliseconds(50), sleep: @escaping Sleep = { try await Task.sleep(for: $0) },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.breaker = breaker
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.sleep = sleep
        self.random = random
    }

    public var service: ServiceUnavailableError.Service { breaker.service }

    public func run<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        var retry = 0
        while true {
            let admission = try breaker.admit()
            do {
                let value = try await withTimeLimit(operation)
                breaker.succeeded()
                return value
            } catch {
                guard !Task.isCancelled, let failure = ServiceCallFailure(error) else {
                    breaker.abandoned(admission)
                    throw error
                }
                switch failure {
                case .rejected(let reason):
                    breaker.succeeded()
                    throw ServiceUnavailableError(service, reason)
                case .transient(let reason):
                    breaker.failed()
                    guard retry < retries else {
                        throw ServiceUnavailableError(service, retries == 0 ? reason : "\(reason) (\(retries + 1) attempts)")
                    }
                    try await sleep(delay(beforeRetry: retry))
                    retry += 1
                }
            }
        }
    }

    /// `backoff · 2^retry`, plus up to half of that again.
    public func delay(beforeRetry retry: Int) -> Duration {
        let base = backoff * (1 << min(retry, 16))
        return base + base * (random() / 2)
    }

    private enum Race<T: Sendable>: Sendable {
        case finished(T)
        case timedOut
    }

    private func withTimeLimit<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = timeout
        return try await withThrowingTaskGroup(of: Race<T>.self) { group in
            group.addTask { .finished(try await operation()) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .timedOut
            }
            defer { group.cancelAll() }
            switch try await group.next() {
            case .finished(let value):
                return value
            case .timedOut, nil:
                throw ServiceCallFailure.transient("timed out after \(timeout.milliseconds) ms")
            }
        }
    }
}

private extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
