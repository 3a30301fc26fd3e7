import Foundation
import SkyHighCore
import Synchronization

/// How the mock Weight and Payment services misbehave: a delay before each answer and a share of
/// calls that fail. Shared by both mocks and changeable while they run, so a tester can take a
/// service "down" and bring it back (`PUT /behaviour` on the mock-services app).
public final class MockBehaviour: Sendable {
    public struct Settings: Sendable, Equatable, Codable {
        /// Delay before each answer, in milliseconds (0...60000).
        public var latencyMs: Int
        /// Share of calls that fail, from 0 (none) to 1 (all).
        public var failureRate: Double

        public init(latencyMs: Int = 0, failureRate: Double = 0) {
            self.latencyMs = latencyMs
            self.failureRate = failureRate
        }
    }

    public static let latencyRange = 0...60_000
    public static let failureRateRange = 0.0...1.0

    private let current: Mutex<Settings>
    private let random: @Sendable () -> Double

    /// `random` answers a number in `0..<1` for each call; a call fails when it is below the
    /// failure rate. Tests inject a fixed sequence.
    public init(_ settings: Settings = Settings(),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        current = Mutex(Self.clamped(settings))
        self.random = random
    }

    public var settings: Settings { current.withLock { $0 } }

    /// Changes what is given and keeps the rest; values are clamped to their ranges.
    @discardableResult
    public func set(latencyMs: Int? = nil, failureRate: Double? = nil) -> Settings {
        current.withLock { settings in
            if let latencyMs { settings.latencyMs = latencyMs }
            if let failureRate { settings.failureRate = failureRate }
            settings = Self.clamped(settings)
            return settings
        }
    }

    /// Waits the latency, then fails at the failure rate with ``ServiceUnavailableError`` (which
    /// the HTTP mock answers as 503). Called at the start of every service call.
    func perform(_ service: ServiceUnavailableError.Service) async throws {
        let settings = self.settings
        if settings.latencyMs > 0 { try await Task.sleep(for: .milliseconds(settings.latencyMs)) }
        if settings.failureRate > 0, random() < settings.failureRate {
            throw ServiceUnavailableError(service, "simulated failure (failure rate \(settings.failureRate))")
        }
    }

    private static func clamped(_ settings: Settings) -> Settings {
        Settings(latencyMs: min(max(settings.latencyMs, latencyRange.lowerBound), latencyRange.upperBound),
                 failureRate: settings.failureRate.isNaN ? 0
                    : min(max(settings.failureRate, failureRateRange.lowerBound), failureRateRange.upperBound))
    }
}
