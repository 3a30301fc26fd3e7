import Foundation

/// What one client did on this instance since its counts were last exchanged with the fleet:
/// the tokens its requests took from the rate limit and the seat maps it read (each flight once,
/// at its latest read). The guard keeps one per client and hands them over in batches, so a
/// request never waits on the exchange.
public struct ClientDelta: Sendable, Equatable {
    /// Tokens taken, less those given back (a token lookup that found a valid session).
    public private(set) var tokens = 0
    /// Flight to the latest time this client read its seat map here.
    public private(set) var reads: [String: Date] = [:]

    public init() {}

    public var isEmpty: Bool { tokens == 0 && reads.isEmpty }

    public mutating func took() { tokens += 1 }

    public mutating func gaveBack() { tokens -= 1 }

    public mutating func read(_ flight: String, at time: Date) {
        if let earlier = reads[flight], earlier >= time { return }
        reads[flight] = time
    }
}

/// The rate limit's bucket as the fleet shares it: every instance adds the tokens its requests
/// took, and the bucket refills at the client's rate. Unlike ``TokenBucket`` it may go below
/// zero: instances that admitted requests at once before hearing of each other leave a debt
/// that the client then waits out, so over time the fleet admits what one instance would.
/// The exchange script in Redis applies exactly this rule; it lives here to be tested and read.
public struct SharedBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: Date

    public init(burst: Double, at now: Date) {
        tokens = burst
        updated = now
    }

    /// Refills up to `now`, then takes `taken` tokens (a negative count gives tokens back, never
    /// past `burst`).
    public mutating func charge(_ taken: Int, rate: Double, burst: Double, at now: Date) {
        if now > updated {
            tokens = min(burst, tokens + now.timeIntervalSince(updated) * rate)
            updated = now
        }
        tokens = min(burst, tokens - Double(taken))
    }
}

extension TokenBucket {
    /// Takes on the fleet's count: the shared bucket held `fleetTokens` at `asOf`, after every
    /// instance's requests up to its last exchange, this one's included up to the batch it sent
    /// at `asOf`; `takenSince` tokens were taken here since that batch. The bucket refills
    /// from `asOf` as the shared one does.
    public mutating func adopt(fleetTokens: Double, asOf: Date, takenSince: Int, rate: Double, burst: Double,
                               at now: Date) {
        let refilled = min(burst, fleetTokens + max(0, now.timeIntervalSince(asOf)) * rate)
        self = TokenBucket(tokens: refilled - Double(takenSince), updated: max(now, asOf))
    }

    /// Takes on the fleet's count, as ``adopt(fleetTokens:asOf:takenSince:rate:burst:at:)``, only
    /// if it leaves fewer tokens than this bucket holds: for news of a client that used up its
    /// budget elsewhere, which may be older than what this instance already knows.
    public mutating func lower(toFleetTokens fleetTokens: Double, asOf: Date, takenSince: Int, rate: Double,
                               burst: Double, at now: Date) {
        var fleet = self
        fleet.adopt(fleetTokens: fleetTokens, asOf: asOf, takenSince: takenSince, rate: rate, burst: burst, at: now)
        if fleet.available(rate: rate, burst: burst, at: now) < available(rate: rate, burst: burst, at: now) { self = fleet }
    }

    /// The tokens the bucket holds at `now`, refill included.
    public func available(rate: Double, burst: Double, at now: Date) -> Double {
        min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate)
    }
}
