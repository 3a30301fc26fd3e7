import Foundation
import SkyHighCore

/// The guard's side of the exchange with the fleet (`GuardSync` does the talking): it hands over
/// what its clients did since the last batch, and takes back the fleet's buckets, the fleet's
/// detections and the blocks other instances made.
extension AbuseGuard {
    /// One client's activity since the last batch.
    public struct PendingClient: Sendable, Equatable {
        public let key: String
        /// For a booking, the address it was last seen from: blocked with it if the fleet detects it.
        public let alsoBlocking: String?
        public let delta: ClientDelta
    }

    /// Everything this instance has to tell the fleet.
    public struct PendingExchange: Sendable, Equatable {
        public var clients: [PendingClient] = []
        public var notices: [BlockNotice] = []
    }

    /// Takes every client's delta and the block notices, leaving them empty for the next batch.
    /// Called on every round, whether Redis answers or not, so what is kept stays bounded by
    /// one round's activity.
    public func takePending() -> PendingExchange {
        var pending = PendingExchange()
        for shard in shards {
            shard.state.withLock { state in
                for key in state.changed {
                    guard let client = state.clients[key] else { continue }
                    if !client.delta.isEmpty {
                        pending.clients.append(PendingClient(key: key, alsoBlocking: client.addressKey, delta: client.delta))
                    }
                    state.clients[key]!.delta = ClientDelta()
                }
                state.changed.removeAll(keepingCapacity: true)
            }
        }
        pending.notices = notices.withLock { notices in
            defer { notices.removeAll() }
            return notices
        }
        return pending
    }

    /// The fleet's buckets, as Redis held them after the batch sent at `asOf`: each client's
    /// bucket here becomes the fleet's, less what it took here since.
    public func adopt(fleetTokens: [String: Double], asOf: Date, at now: Date) {
        guard policy.ratePerSecond > 0 else { return }
        for (key, tokens) in fleetTokens {
            shard(key).state.withLock { state in
                guard let taken = state.clients[key]?.delta.tokens else { return }
                state.clients[key]!.bucket.adopt(fleetTokens: tokens, asOf: asOf, takenSince: taken,
                                                 rate: policy.ratePerSecond, burst: policy.burst, at: now)
            }
        }
    }

    /// The fleet found `clientKey` past the bot rule (Redis has published the block already):
    /// blocks it here at once and returns the incident to record.
    public func fleetDetected(_ clientKey: String, alsoBlocking: [String], distinct: Int, sample: [String],
                              at now: Date) -> (incident: Incident, alsoBlocking: [String])? {
        guard case .detected(let incident, let also) = detection(
            clientKey, address: nil, alsoBlocking: alsoBlocking, distinct: distinct, sample: sample,
            acrossFleet: true, at: now) else { return nil }
        incidents.increment()
        blocks.withLock { list in
            for key in [clientKey] + also { list.add(key, until: incident.blockedUntil ?? now) }
        }
        shard(clientKey).state.withLock { state in
            if state.clients[clientKey] != nil { state.clients[clientKey]!.reads = DistinctSeatMapReads() }
        }
        return (incident, also)
    }

    /// A client that used up its budget on another instance (the fleet's bucket held
    /// `fleetTokens` at `asOf`): its bucket here is lowered to match, and made if this instance
    /// has not served the client yet, so that moving to another instance buys it nothing.
    public func hearSpent(_ clientKey: String, fleetTokens: Double, asOf: Date, at now: Date) {
        guard policy.ratePerSecond > 0 else { return }
        shard(clientKey).state.withLock { state in
            if state.clients[clientKey] == nil {
                if state.clients.count >= maximumClients / Self.shardCount { Self.evictOldest(&state.clients) }
                state.clients[clientKey] = ClientState(bucket: TokenBucket(burst: policy.burst, at: now), lastSeen: now)
            }
            let taken = state.clients[clientKey]!.delta.tokens
            state.clients[clientKey]!.bucket.lower(toFleetTokens: fleetTokens, asOf: asOf, takenSince: taken,
                                                   rate: policy.ratePerSecond, burst: policy.burst, at: now)
        }
    }

    /// A block or a lift another instance made, heard through the fleet at `now`.
    public func hear(_ notice: BlockNotice, at now: Date) {
        if let until = notice.until {
            guard until > now else { return }
            blocks.withLock { $0.hear(notice.key, until: until, at: now) }
        } else {
            forget(notice.key)
        }
    }
}
