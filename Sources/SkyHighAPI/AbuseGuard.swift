import Foundation
import HTTPTypes
import Metrics
import SkyHighCore
import Synchronization

/// Per-client rate limits and the bot rule, in memory: no store or Redis round trip per request.
/// The clients tracked are bounded (the least recently seen are forgotten first), so a flood of
/// distinct addresses cannot exhaust memory. Blocks come from the store, so every instance
/// enforces every block; this instance's own detections apply at once.
///
/// With `sharesCounts` each client's activity is also kept as a ``ClientDelta`` that
/// `GuardSync` exchanges with the fleet in batches (see `AbuseGuard+Fleet.swift`).
public final class AbuseGuard: Sendable {
    public enum Verdict: Sendable, Equatable {
        case allowed(remaining: Int?)
        case limited(retryAfter: TimeInterval)
        case blocked(until: Date)
        /// This request tripped the bot rule: the client is blocked from now on, and so are the
        /// other keys named (the address a blocked booking came from).
        case detected(Incident, alsoBlocking: [String])

        var isAllowed: Bool {
            if case .allowed = self { true } else { false }
        }
    }

    struct ClientState {
        var bucket: TokenBucket
        var reads = DistinctSeatMapReads()
        var lastSeen: Date
        /// Activity not yet handed to the fleet (only kept when counts are shared).
        var delta = ClientDelta()
        /// For a booking, the address key it was last seen from, blocked with it when the fleet
        /// detects it (`nil` for addresses and allowlisted addresses).
        var addressKey: String?
    }

    struct ShardState {
        var clients: [String: ClientState] = [:]
        /// Clients whose delta holds something for the next exchange.
        var changed: Set<String> = []
    }

    public let policy: AbusePolicy
    let allowlist: [AddressRange]
    public let resolver: ClientAddressResolver
    let maximumClients: Int
    /// Whether each client's activity is kept for the fleet (a Redis is configured).
    public let sharesCounts: Bool
    static let shardCount = 16
    /// Clients spread over separately locked shards, so concurrent requests rarely wait on each other.
    final class Shard: Sendable {
        let state = Mutex(ShardState())
    }
    let shards: [Shard]
    let blocks = Mutex(BlockList())
    /// Blocks made and lifted here that the fleet has not been told of yet.
    let notices = Mutex<[BlockNotice]>([])
    private let requests = (allowed: Counter(label: "skyhigh_guard_requests_total", dimensions: [("outcome", "allowed")]),
                            limited: Counter(label: "skyhigh_guard_requests_total", dimensions: [("outcome", "limited")]),
                            blocked: Counter(label: "skyhigh_guard_requests_total", dimensions: [("outcome", "blocked")]))
    let incidents = Counter(label: "skyhigh_abuse_incidents_total")

    public init(policy: AbusePolicy, trustedProxies: [AddressRange] = [], allowlist: [AddressRange] = [],
                maximumClients: Int = 100_000, sharesCounts: Bool = false) {
        self.policy = policy
        self.allowlist = allowlist
        self.resolver = ClientAddressResolver(trustedProxies: trustedProxies)
        self.maximumClients = maximumClients
        self.sharesCounts = sharesCounts
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Whether an address is on the allowlist (airport kiosks behind one address).
    public func isAllowlisted(_ address: String) -> Bool { allowlist.contains(address: address) }

    /// Who a request comes from, as the guard counts it.
    public struct Client: Sendable, Equatable {
        /// What the client is counted as: its booking if signed in, else its address key.
        public let key: String
        public let address: String
        /// The address as the guard keys it (an IPv6 address by its network).
        public let addressKey: String
        /// `key` names an address rather than a booking; an allowlisted address is then neither
        /// limited nor blocked.
        public let byAddress: Bool

        init(key: String, address: String, addressKey: String) {
            self.key = key
            self.address = address
            self.addressKey = addressKey
            byAddress = key == addressKey
        }
    }

    /// The signed-in booking, else the address, with `X-Forwarded-For` believed only from trusted proxies.
    func client(identity: Identity?, peer: String?, forwardedFor: String?) -> Client {
        let address = addressClient(peer: peer, forwardedFor: forwardedFor)
        if case .passenger(let reference) = identity {
            return Client(key: ClientKeys.booking(reference), address: address.address, addressKey: address.addressKey)
        }
        return address
    }

    /// The address a request comes from, as a client of its own: what unknown tokens are charged to.
    func addressClient(peer: String?, forwardedFor: String?) -> Client {
        let address = resolver.resolve(peer: peer ?? "127.0.0.1", forwardedFor: forwardedFor)
        let key = ClientKeys.address(address, ipv6Prefix: policy.ipv6Prefix)
        return Client(key: key, address: address, addressKey: key)
    }

    /// Decides one request. `seatMap` is the flight whose seat map is being read, if that is
    /// what the request does.
    public func check(clientKey: String, address: String, byAddress: Bool, seatMap: String?, at now: Date) -> Verdict {
        let addressKey = byAddress ? clientKey : ClientKeys.address(address, ipv6Prefix: policy.ipv6Prefix)
        return check(Client(key: clientKey, address: address, addressKey: addressKey), seatMap: seatMap, at: now)
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

    /// Gives back the token `client` paid for a request that is charged elsewhere after all.
    func giveBack(_ client: Client, at now: Date) {
        guard policy.ratePerSecond > 0 else { return }
        shard(client.key).state.withLock { state in
            guard state.clients[client.key] != nil else { return }
            state.clients[client.key]!.bucket.giveBack(burst: policy.burst)
            if sharesCounts {
                state.clients[client.key]!.delta.gaveBack()
                state.changed.insert(client.key)
            }
        }
    }

    /// The end of a block on the client, by its own key or (unless allowlisted) by its address.
    private func blockedUntil(_ client: Client, at now: Date) -> Date? {
        blocks.withLock { list -> Date? in
            guard !list.isEmpty else { return nil }
            let own = list.until(client.key, at: now)
            guard !client.byAddress, let byAddress = list.until(client.addressKey, at: now),
                  !isAllowlisted(client.address) else { return own }
            return max(own ?? byAddress, byAddress)
        }
    }

    /// The verdict, and whether it was recorded (the client's state, the blocks, the counters).
    private func decide(_ client: Client, seatMap: String?, at now: Date,
                        keepingRefusals: Bool) -> (verdict: Verdict, kept: Bool) {
        if let until = blockedUntil(client, at: now) {
            guard keepingRefusals else { return (.blocked(until: until), false) }
            requests.blocked.increment()
            return (.blocked(until: until), true)
        }
        if client.byAddress && isAllowlisted(client.address) {
            requests.allowed.increment()
            return (.allowed(remaining: nil), true)
        }
        let (verdict, kept) = shard(client.key).state.withLock { state -> (Verdict, Bool) in
            let isNew = state.clients[client.key] == nil
            if isNew {
                if state.clients.count >= maximumClients / Self.shardCount { Self.evictOldest(&state.clients) }
                state.clients[client.key] = ClientState(bucket: TokenBucket(burst: policy.burst, at: now), lastSeen: now)
            }
            // The client's state is changed where it lies: a copy taken out of the dictionary
            // would copy its reads on every request. A refusal that is not kept is taken back.
            let previousBucket = state.clients[client.key]!.bucket
            let previousRead = seatMap.flatMap { state.clients[client.key]!.reads.lastRead[$0] }
            let verdict = judge(&state.clients[client.key]!, client, seatMap: seatMap, at: now)
            guard keepingRefusals || verdict.isAllowed else {
                if isNew {
                    state.clients[client.key] = nil
                } else {
                    state.clients[client.key]!.bucket = previousBucket
                    if let seatMap { state.clients[client.key]!.reads.undo(seatMap, previous: previousRead) }
                }
                return (verdict, false)
            }
            state.clients[client.key]!.lastSeen = now
            switch verdict {
            case .allowed where sharesCounts:
                if policy.ratePerSecond > 0 { state.clients[client.key]!.delta.took() }
                if let seatMap { state.clients[client.key]!.delta.read(seatMap, at: now) }
                if !client.byAddress, state.clients[client.key]!.addressKey != client.addressKey {
                    state.clients[client.key]!.addressKey = isAllowlisted(client.address) ? nil : client.addressKey
                }
                state.changed.insert(client.key)
            case .detected:
                // A detected client starts counting afresh once its block ends.
                state.clients[client.key]!.reads = DistinctSeatMapReads()
            default:
                break
            }
            return (verdict, true)
        }
        guard kept else { return (verdict, false) }
        switch verdict {
        case .allowed: requests.allowed.increment()
        case .limited: requests.limited.increment()
        case .detected(let incident, let also):
            incidents.increment()
            requests.blocked.increment()
            if let until = incident.blockedUntil { block([incident.clientKey] + also, until: until) }
        case .blocked: requests.blocked.increment()
        }
        return (verdict, true)
    }

    /// The bot rule, then the token bucket, for one client's state.
    private func judge(_ state: inout ClientState, _ client: Client, seatMap: String?, at now: Date) -> Verdict {
        if let flight = seatMap {
            let distinct = state.reads.record(flight, at: now, window: policy.window)
            if distinct > policy.seatMapLimit {
                let also = client.byAddress || isAllowlisted(client.address) ? [] : [client.addressKey]
                return detection(client.key, address: client.address, alsoBlocking: also, distinct: distinct,
                                 sample: state.reads.sample, acrossFleet: false, at: now)
            }
        }
        guard policy.ratePerSecond > 0 else { return .allowed(remaining: nil) }
        switch state.bucket.take(rate: policy.ratePerSecond, burst: policy.burst, at: now) {
        case .allowed(let remaining): return .allowed(remaining: remaining)
        case .limited(let retryAfter): return .limited(retryAfter: retryAfter)
        }
    }

    /// The bot rule's verdict on `clientKey`: an incident, and the block it makes.
    func detection(_ clientKey: String, address: String?, alsoBlocking: [String], distinct: Int, sample: [String],
                   acrossFleet: Bool, at now: Date) -> Verdict {
        let evidence = JSONEncoder.payload(SeatMapEvidence(
            distinctSeatMaps: distinct, windowSeconds: policy.window, sampleFlights: sample, address: address,
            blockedKeys: [clientKey] + alsoBlocking, acrossFleet: acrossFleet))
        return .detected(Incident(id: UUID(), clientKey: clientKey, rule: "seatmap-scan", firstAt: now - policy.window,
                                  lastAt: now, evidence: evidence, blockedUntil: now + policy.blockFor),
                         alsoBlocking: alsoBlocking)
    }

    /// Blocks `keys` here at once, and tells the fleet when counts are shared.
    func block(_ keys: [String], until: Date) {
        blocks.withLock { list in for key in keys { list.add(key, until: until) } }
        if sharesCounts { notices.withLock { $0 += keys.map { BlockNotice(key: $0, until: until) } } }
    }

    /// `RateLimit-Limit` and `RateLimit-Remaining` for an allowed request that a bucket counted.
    func rateLimitHeaders(remaining: Int?) -> HTTPFields {
        guard let remaining else { return [:] }
        return [.rateLimitLimit: "\(Int(policy.burst))", .rateLimitRemaining: "\(remaining)"]
    }

    /// Replaces the blocks with those the store holds (after a change on any instance).
    public func setBlocks(_ current: [String: Date]) {
        blocks.withLock { $0.replaceStored(current) }
    }

    /// Lifts the blocks on `clientKeys` here at once, forgets those clients' counts, and tells
    /// the fleet when counts are shared.
    public func liftBlock(_ clientKeys: [String]) {
        for key in clientKeys { forget(key) }
        if sharesCounts { notices.withLock { $0 += clientKeys.map { BlockNotice(key: $0, until: nil) } } }
    }

    public func liftBlock(_ clientKey: String) { liftBlock([clientKey]) }

    /// Drops the block and the counts of `clientKey` on this instance.
    func forget(_ clientKey: String) {
        blocks.withLock { $0.lift(clientKey) }
        shard(clientKey).state.withLock { state in
            state.clients[clientKey] = nil
            state.changed.remove(clientKey)
        }
    }

    /// How many keys are blocked now (for metrics).
    public func activeBlocks(at now: Date) -> Int { blocks.withLock { $0.count(at: now) } }

    /// How many clients are tracked now (for tests and metrics).
    public var trackedClients: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.clients.count } } }

    func shard(_ key: String) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
    }

    /// Forgets the least recently seen tenth of a full shard.
    static func evictOldest(_ clients: inout [String: ClientState]) {
        let victims = clients.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(max(1, clients.count / 10))
        for (key, _) in victims { clients[key] = nil }
    }
}

/// A block made or lifted on this instance, for the fleet to hear of: `until` is `nil` for a lift.
public struct BlockNotice: Sendable, Equatable {
    public let key: String
    public let until: Date?

    public init(key: String, until: Date?) {
        self.key = key
        self.until = until
    }
}

struct SeatMapEvidence: Encodable {
    let distinctSeatMaps: Int
    let windowSeconds: Double
    let sampleFlights: [String]
    let address: String?
    /// Every key the incident blocked: the client's own, and the address of a blocked booking.
    let blockedKeys: [String]
    /// Counted over every instance (through Redis) rather than on this one alone.
    let acrossFleet: Bool
}
