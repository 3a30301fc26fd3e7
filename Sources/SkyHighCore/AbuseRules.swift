import Foundation

/// The per-client limits of the abuse guard.
public struct AbusePolicy: Sendable, Equatable {
    /// Requests per second a client may sustain; 0 turns rate limiting off.
    public var ratePerSecond: Double
    /// Requests a client may make at once after a quiet spell.
    public var burst: Double
    /// More than this many different seat maps within `window` is the bot rule.
    public var seatMapLimit: Int
    public var window: TimeInterval
    public var blockFor: TimeInterval
    /// IPv6 clients are counted by their network of this many bits (see ``ClientKeys``).
    public var ipv6Prefix: Int

    public init(ratePerSecond: Double = 20, burst: Double = 40, seatMapLimit: Int = 50, window: TimeInterval = 2,
                blockFor: TimeInterval = 300, ipv6Prefix: Int = 64) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.seatMapLimit = seatMapLimit
        self.window = window
        self.blockFor = blockFor
        self.ipv6Prefix = ipv6Prefix
    }
}

/// A token bucket: `burst` tokens, refilled at `rate` per second; each request takes one.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: Date

    public init(burst: Double, at now: Date) {
        tokens = burst
        updated = now
    }

    /// A bucket holding `tokens` (below zero while the client owes the fleet) as of `updated`.
    public init(tokens: Double, updated: Date) {
        self.tokens = tokens
        self.updated = updated
    }

    public enum Decision: Sendable, Equatable {
        case allowed(remaining: Int)
        /// Denied; a token is back after this many seconds.
        case limited(retryAfter: TimeInterval)
    }

    public mutating func take(rate: Double, burst: Double, at now: Date) -> Decision {
        tokens = min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate)
        updated = max(updated, now)
        guard tokens >= 1 else { return .limited(retryAfter: (1 - tokens) / rate) }
        tokens -= 1
        return .allowed(remaining: Int(tokens))
    }

    /// Gives back the token a request took (it turned out to be charged elsewhere).
    public mutating func giveBack(burst: Double) {
        tokens = min(burst, tokens + 1)
    }
}

/// The distinct seat maps one client read recently: the bot rule counts them in a sliding window.
public struct DistinctSeatMapReads: Sendable, Equatable {
    /// Flight to the last time this client read its seat map.
    public private(set) var lastRead: [String: Date] = [:]

    public init() {}

    /// Records a read and returns how many different seat maps were read within `window` of `now`.
    /// Reading the same seat map again only refreshes its time. Memory stays bounded: reads older
    /// than the window are dropped, and a client over the limit is blocked before it can grow.
    public mutating func record(_ flight: String, at now: Date, window: TimeInterval) -> Int {
        lastRead[flight] = now
        if lastRead.count > 8 {
            lastRead = lastRead.filter { now.timeIntervalSince($0.value) < window }
        }
        var distinct = 0
        for read in lastRead.values where now.timeIntervalSince(read) < window { distinct += 1 }
        return distinct
    }

    /// Takes back the last ``record(_:at:window:)`` of `flight`, whose earlier read was `previous`.
    /// (Reads it may have dropped were outside the window: forgetting them changes no decision.)
    public mutating func undo(_ flight: String, previous: Date?) { lastRead[flight] = previous }

    /// A sample of the flights read, for the incident's evidence.
    public var sample: [String] { Array(lastRead.keys.sorted().prefix(10)) }
}

/// A detection of abuse: who, which rule, when, and what was seen.
public struct Incident: Sendable, Equatable {
    public let id: UUID
    public let clientKey: String
    public let rule: String
    public let firstAt: Date
    public let lastAt: Date
    /// JSON.
    public let evidence: String
    public let blockedUntil: Date?

    public init(id: UUID, clientKey: String, rule: String, firstAt: Date, lastAt: Date, evidence: String, blockedUntil: Date?) {
        self.id = id
        self.clientKey = clientKey
        self.rule = rule
        self.firstAt = firstAt
        self.lastAt = lastAt
        self.evidence = evidence
        self.blockedUntil = blockedUntil
    }
}

/// Incidents and blocks, shared by every instance.
public protocol AbuseStore: Sendable {
    /// Records the incident and blocks its client, and every key in `alsoBlocking` (the address
    /// a blocked booking came from), until `incident.blockedUntil`.
    func recordIncident(_ incident: Incident, alsoBlocking: [String]) async throws
    func incidents(limit: Int) async throws -> [Incident]
    /// Blocks in force at `now`: client key to the end of the block.
    func activeBlocks(at now: Date) async throws -> [String: Date]
    /// Lifts the block of `clientKey` and every block made by the same incident; returns the
    /// keys whose blocks were in force (none if there was no such block).
    func liftBlock(_ clientKey: String, at now: Date) async throws -> [String]
}

extension AbuseStore {
    /// Records the incident and blocks its client alone.
    public func recordIncident(_ incident: Incident) async throws {
        try await recordIncident(incident, alsoBlocking: [])
    }
}
