import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore
import SkyHighRedis

/// What `serve` adds for the abuse guard to count across the fleet: with `SKYHIGH_REDIS_URL`, a
/// Redis client and ``GuardSync``; without it nothing, and a warning on PostgreSQL, where
/// several instances may share the store but would each count alone.
enum FleetGuard {
    static func services(_ config: Configuration, guardian: AbuseGuard, store: any AbuseStore, clock: any WallClock,
                         logger: Logger) -> [any Service] {
        guard let settings = config.redis else {
            if case .postgres = config.database {
                logger.warning("""
                    SKYHIGH_REDIS_URL is not set: each instance counts rate limits and the bot rule alone, \
                    so behind a load balancer a client gets every instance's allowance
                    """)
            }
            return []
        }
        var redisLogger = logger
        redisLogger[metadataKey: "component"] = "guard-redis"
        let redis = RedisClient(settings: settings, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: redisLogger)
        let sync = GuardSync(guardian: guardian, redis: redis, clock: clock, interval: config.guardSyncInterval,
                             timeout: settings.commandTimeout, logger: logger) { incident, also in
            do {
                try await store.recordIncident(incident, alsoBlocking: also)
            } catch {
                logger.error("could not record abuse incident", metadata: ["error": "\(error)"])
            }
        }
        // The client first, so that a graceful shutdown stops the exchanges before it.
        return [redis, sync]
    }
}
