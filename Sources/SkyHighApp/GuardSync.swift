import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore
import SkyHighRedis
import Synchronization

/// Makes the abuse guard count each client across the fleet: every `interval` it sends what this
/// instance's clients did since the last round to Redis in one pipelined round trip
/// (``GuardExchange``) and takes back the fleet's buckets, detections and blocks. Requests never
/// wait for it.
///
/// The delay this implies: a client that crosses the bot rule on any instance is detected by
/// that instance's next round (at most `interval`, plus a round trip, later), which publishes
/// the block; every other instance applies it at its own next round. So every instance blocks
/// the client within two intervals and two round trips of the crossing: about 0.2 s with the
/// default 100 ms. Rate limits lag the same way: an instance learns of another's requests
/// within two intervals (a client that used up its budget is announced to every instance, even
/// those that have not served it yet), so a client spread over N instances can get more than
/// its burst only by what the other instances admit within those two intervals, and then waits
/// off the debt.
///
/// When Redis is down or does not answer within `timeout`, the round's activity is dropped and
/// the guard counts alone on this instance (exactly as with no Redis); this is logged once,
/// counted in `skyhigh_guard_redis_fallbacks_total` and shown by `skyhigh_guard_redis_up` 0.
/// The next round that succeeds (the client reconnects by itself) restores fleet counting.
final class GuardSync: Service {
    let guardian: AbuseGuard
    let redis: RedisClient
    let exchange: GuardExchange
    let clock: any WallClock
    let interval: Duration
    let timeout: Duration
    let logger: Logger
    /// Records a detection made by the fleet (the incident, and the other keys it blocks).
    let record: @Sendable (Incident, [String]) async -> Void

    private struct State {
        var cursor: GuardExchange.Cursor = nil
        /// `nil` until the first round, so that the first outcome is logged either way.
        var connected: Bool?
    }
    private let state = Mutex(State())
    private let up = Gauge(label: "skyhigh_guard_redis_up")
    private let fallbacks = Counter(label: "skyhigh_guard_redis_fallbacks_total")
    private let rounds = (ok: Counter(label: "skyhigh_guard_redis_exchanges_total", dimensions: [("outcome", "ok")]),
                          failed: Counter(label: "skyhigh_guard_redis_exchanges_total", dimensions: [("outcome", "failed")]))

    init(guardian: AbuseGuard, redis: RedisClient, clock: any WallClock, interval: Duration, timeout: Duration,
         logger: Logger, record: @escaping @Sendable (Incident, [String]) async -> Void) {
        self.guardian = guardian
        self.redis = redis
        self.exchange = GuardExchange(policy: guardian.policy)
        self.clock = clock
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
        self.record = record
        up.record(0)
    }

    /// Whether the last round reached Redis.
    var isSharing: Bool { state.withLock { $0.connected == true } }

    /// One round every `interval` (rounds that run late are not made up for), until shutdown.
    /// The first waits, a few seconds at most, for the client's first connection, so that a
    /// start is not reported as an outage.
    func run() async {
        await cancelWhenGracefulShutdown {
            await self.firstConnection(within: .seconds(5))
            let ticks = ContinuousClock()
            var next = ticks.now
            while !Task.isCancelled {
                await self.exchangeOnce()
                next = max(next + self.interval, ticks.now)
                do { try await Task.sleep(until: next, clock: ticks) } catch { break }
            }
        }
    }

    private func firstConnection(within limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await state in self.redis.stateChanges() where state == .connected { return }
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// One round: sends this instance's activity and applies the fleet's answer. Returns whether
    /// Redis answered.
    @discardableResult
    func exchangeOnce() async -> Bool {
        let pending = guardian.takePending()
        let sentAt = clock.now()
        let cursor = state.withLock { $0.cursor }
        let outcome: GuardExchange.Outcome
        do {
            let replies = try await redis.pipeline(exchange.commands(pending, cursor: cursor, at: sentAt), timeout: timeout)
            outcome = try exchange.outcome(replies, for: pending, cursor: cursor)
        } catch {
            // Stopping is no outage.
            if !Task.isCancelled { fellBack(error) }
            return false
        }
        let now = clock.now()
        guardian.adopt(fleetTokens: outcome.fleetTokens, asOf: sentAt, at: now)
        for spent in outcome.spent {
            guardian.hearSpent(spent.clientKey, fleetTokens: spent.fleetTokens, asOf: spent.asOf, at: now)
        }
        for notice in outcome.heard { guardian.hear(notice, at: now) }
        state.withLock { $0.cursor = outcome.cursor }
        recovered()
        for detection in outcome.detections {
            guard let (incident, also) = guardian.fleetDetected(
                detection.clientKey, alsoBlocking: detection.alsoBlocking, distinct: detection.distinct,
                sample: detection.sample, at: now) else { continue }
            logger.warning("client blocked by the fleet's count",
                           metadata: ["client": "\(detection.clientKey)", "distinct_seat_maps": "\(detection.distinct)"])
            await record(incident, also)
        }
        return true
    }

    private func fellBack(_ error: any Error) {
        rounds.failed.increment()
        let wasConnected = state.withLock { state in
            defer { state.connected = false }
            return state.connected
        }
        guard wasConnected != false else { return }
        up.record(0)
        fallbacks.increment()
        logger.warning("Redis unavailable: the abuse guard counts alone on this instance until it is back",
                       metadata: ["error": "\(error)"])
    }

    private func recovered() {
        rounds.ok.increment()
        let wasConnected = state.withLock { state in
            defer { state.connected = true }
            return state.connected
        }
        guard wasConnected != true else { return }
        up.record(1)
        logger.info(wasConnected == nil ? "the abuse guard counts with the fleet through Redis"
                                        : "Redis is back: the abuse guard counts with the fleet again")
    }
}
