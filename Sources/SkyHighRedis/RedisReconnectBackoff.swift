/// How long the client waits between attempts to connect: doubling from `initial` up to
/// `maximum`, each wait shortened at random by up to half.
///
/// The randomness ("jitter") matters for a fleet: every instance loses Redis at the same moment,
/// and without it they would all come back at the same moments too.
public struct RedisReconnectBackoff: Sendable, Hashable {
    /// The wait after the first failure.
    public var initial: Duration
    /// The longest wait, however many attempts have failed.
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(3)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait after `failures` attempts in a row have failed (1 or more), for `random` in 0..<1.
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        var base = min(initial, maximum)
        var doublings = max(failures, 1) - 1
        while doublings > 0, base < maximum {
            base = min(base * 2, maximum)
            doublings -= 1
        }
        let shortening = min(max(random, 0), 1) / 2
        return base * (1 - shortening)
    }
}
