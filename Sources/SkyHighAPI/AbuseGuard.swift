import Foundation
import HTTPTypes
import Metrics
import SkyHighCore
import Synchronization

/// Per-client rate limits and the bot rule, in memory: no store round trip per request. The
/// clients tracked are bounded (the least recently seen are forgotten first), so a flood of
/// distinct addresses cannot exhaust memory. Blocks come from the store, so every instance
/// enforces every block; this instance's own detections apply at once.
public final class AbuseGuard: Sendable {
    public enum Verdict: Sendable, Equatable {
        case allowed(remaining: Int?)
        case limited(retryAfter: TimeInterval)
        case blocked(until: Date)
        /// This request tripped the bot rule: the client is blocked from now on.
        case detected(Incident)

        var isAllowed: Bool {
            if case .allowed = self { true } else { false }
        }
    }

    private struct ClientState {
        var bucket: TokenBucket
        var reads = DistinctSeatMapReads()
        var lastSeen: Date
    }

    let policy: AbusePolicy
    let allowlist: [AddressRange]
    public let resolver: ClientAddressResolver
    let maximumClients: Int
    private static let shardCount = 16
    /// Clients spread over separately locked shards, so concurrent requests rarely wait on each other.
    private final class Shard: Sendable {
        let clients = Mutex<[String: ClientState]>([:])
    }
    private let shards: [Shard]
    private let blocks = Mutex<[String: Date]>([:])
    private let requests = (allowed: Counter(label: "skyhigh_guard_requests_total", dimensions: [("outcome", "allowed")]),
                            limited: Counter(label: "skyhigh_guard_requests_total", dimensions: [("outcome", "limited")]),
                            blocked: Counter(label: "skyhigh_guard_requests_total", dimensions: [("outcome", "blocked")]))
    private let incidents = Counter(label: "skyhigh_abuse_incidents_total")

    public init(policy: AbusePolicy, trustedProxies: [AddressRange] = [], allowlist: [AddressRange] = [],
                maximumClients: Int = 100_000) {
        self.policy = policy
        self.allowlist = allowlist
        self.resolver = ClientAddressResolver(trustedProxies: trustedProxies)
        self.maximumClients = maximumClients
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Whether an address is on the allowlist (airport kiosks behind one address).
    public func isAllowlisted(_ address: String) -> Bool { allowlist.contains(address: address) }

    /// Who a request comes from, as the guard counts it.
    public struct Client: Sendable, Equatable {
        public let key: String
        public let address: String
        /// `key` names an address rather than a booking; an allowlisted address is then neither
        /// limited nor blocked.
        public let byAddress: Bool
    }

    /// The signed-in booking, else the address, with `X-Forwarded-For` believed only from trusted proxies.
    func client(identity: Identity?, peer: String?, forwardedFor: String?) -> Client {
        let address = resolver.resolve(peer: peer ?? "127.0.0.1", forwardedFor: forwardedFor)
        if case .passenger(let reference) = identity {
            return Client(key: "booking:\(reference)", address: address, byAddress: false)
        }
        return Client(key: "ip:\(address)", address: address, byAddress: true)
    }

    /// Decides one request. `seatMap` is the flight whose seat map is being read, if that is
    /// what the request does.
    public func check(clientKey: String, address: String, byAddress: Bool, seatMap: String?, at now: Date) -> Verdict {
        check(Client(key: clientKey, address: address, byAddress: byAddress), seatMap: seatMap, at: now)
    }

    func check(_ client: Client, seatMap: String?, at now: Date) -> Verdict {
        decide(client, seatMap: seatMap, at: now, keepingRefusals: true).verdict
    }

    /// The same decision for a caller that can only serve the request or pass it on: a request
    /// the guard allows is recorded and allowed; for any other nothing is recorded and the answer
    /// is `nil`, so the middleware checks it again in full and answers the refusal.
    func admit(_ client: Client, seatMap: String?, at now: Date) -> Verdict? {
        let decision = decide(client, seatMap: seatMap, at: now, keepingRefusals: false)
        return decision.kept ? decision.verdict : nil
    }

    /// The verdict, and whether it was recorded (the client's state, the blocks, the counters).
    private func decide(_ client: Client, seatMap: String?, at now: Date,
                        keepingRefusals: Bool) -> (verdict: Verdict, kept: Bool) {
        if let until = blocks.withLock({ $0[client.key] }), until > now {
            guard keepingRefusals else { return (.blocked(until: until), false) }
            requests.blocked.increment()
            return (.blocked(until: until), true)
        }
        if client.byAddress && isAllowlisted(client.address) {
            requests.allowed.increment()
            return (.allowed(remaining: nil), true)
        }
        let (verdict, kept) = shard(client.key).clients.withLock { clients -> (Verdict, Bool) in
            let isNew = clients[client.key] == nil
            if isNew {
                if clients.count >= maximumClients / Self.shardCount { Self.evictOldest(&clients) }
                clients[client.key] = ClientState(bucket: TokenBucket(burst: policy.burst, at: now), lastSeen: now)
            }
            // The client's state is changed where it lies: a copy taken out of the dictionary
            // would copy its reads on every request. A refusal that is not kept is taken back.
            let previousBucket = clients[client.key]!.bucket
            let previousRead = seatMap.flatMap { clients[client.key]!.reads.lastRead[$0] }
            let verdict = judge(&clients[client.key]!, client, seatMap: seatMap, at: now)
            guard keepingRefusals || verdict.isAllowed else {
                if isNew {
                    clients[client.key] = nil
                } else {
                    clients[client.key]!.bucket = previousBucket
                    if let seatMap { clients[client.key]!.reads.undo(seatMap, previous: previousRead) }
                }
                return (verdict, false)
            }
            clients[client.key]!.lastSeen = now
            // A detected client starts counting afresh once its block ends.
            if case .detected = verdict { clients[client.key]!.reads = DistinctSeatMapReads() }
            return (verdict, true)
        }
        guard kept else { return (verdict, false) }
        switch verdict {
        case .allowed: requests.allowed.increment()
        case .limited: requests.limited.increment()
        case .detected(let incident):
            incidents.increment()
            requests.blocked.increment()
            if let until = incident.blockedUntil { blocks.withLock { $0[client.key] = until } }
        case .blocked: requests.blocked.increment()
        }
        return (verdict, true)
    }

    /// The bot rule, then the token bucket, for one client's state.
    private func judge(_ state: inout ClientState, _ client: Client, seatMap: String?, at now: Date) -> Verdict {
        if let flight = seatMap {
            let distinct = state.reads.record(flight, at: now, window: policy.window)
            if distinct > policy.seatMapLimit {
                let evidence = JSONEncoder.payload(SeatMapEvidence(distinctSeatMaps: distinct, windowSeconds: policy.window,
                                                                   sampleFlights: state.reads.sample, address: client.address))
                return .detected(Incident(id: UUID(), clientKey: client.key, rule: "seatmap-scan",
                                          firstAt: now - policy.window, lastAt: now, evidence: evidence,
                                          blockedUntil: now + policy.blockFor))
            }
        }
        guard policy.ratePerSecond > 0 else { return .allowed(remaining: nil) }
        switch state.bucket.take(rate: policy.ratePerSecond, burst: policy.burst, at: now) {
        case .allowed(let remaining): return .allowed(remaining: remaining)
        case .limited(let retryAfter): return .limited(retryAfter: retryAfter)
        }
    }

    /// `RateLimit-Limit` and `RateLimit-Remaining` for an allowed request that a bucket counted.
    func rateLimitHeaders(remaining: Int?) -> HTTPFields {
        guard let remaining else { return [:] }
        return [.rateLimitLimit: "\(Int(policy.burst))", .rateLimitRemaining: "\(remaining)"]
    }

    /// Replaces the blocks with those the store holds (after a change on any instance).
    public func setBlocks(_ current: [String: Date]) {
        blocks.withLock { $0 = current }
    }

    public func liftBlock(_ clientKey: String) {
        blocks.withLock { $0[clientKey] = nil }
        shard(clientKey).clients.withLock { $0[clientKey] = nil }
    }

    /// How many clients are tracked now (for tests and metrics).
    public var trackedClients: Int { shards.reduce(0) { $0 + $1.clients.withLock { $0.count } } }

    private func shard(_ key: String) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
    }

    /// Forgets the least recently seen tenth of a full shard.
    private static func evictOldest(_ clients: inout [String: ClientState]) {
        let victims = clients.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(max(1, clients.count / 10))
        for (key, _) in victims { clients[key] = nil }
    }
}

struct SeatMapEvidence: Encodable {
    let distinctSeatMaps: Int
    let windowSeconds: Double
    let sampleFlights: [String]
    let address: String
}
