import Foundation
import Logging
import SkyHighAPI
@testable import SkyHighApp
import SkyHighCore
import SkyHighRedis
import SkyHighTestSupport
import Synchronization
import Testing

/// Three abuse guards sharing one real redis-server through ``GuardSync``, each round run by the
/// test (`exchangeOnce`) rather than a timer, so that what a round does, and how many rounds a
/// detection takes to reach every instance, is exact.
@Suite(.enabled(if: RedisServerProcess.isInstalled || RedisServerProcess.required))
struct GuardSyncTests {
    /// One instance: its guard, its Redis client and its exchange, and the incidents it recorded.
    struct Instance: Sendable {
        let guardian: AbuseGuard
        let sync: GuardSync
        let recorded: Observed<(Incident, [String])>

        func check(_ key: String, address: String = "198.51.100.1", seatMap: String? = nil, at now: Date) -> AbuseGuard.Verdict {
            guardian.check(clientKey: key, address: address, byAddress: key.hasPrefix("ip:"), seatMap: seatMap, at: now)
        }

        func isBlocked(_ key: String, address: String = "198.51.100.1", at now: Date) -> Bool {
            if case .blocked = check(key, address: address, at: now) { return true }
            return false
        }
    }

    static let quiet = Logger(label: "test.guard") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with `count` instances on a fresh redis-server. The command time limit is the
    /// tests' generous one unless a test of time limits sets its own.
    static func withFleet(_ count: Int = 3, policy: AbusePolicy, clock: ManualClock,
                          commandTimeout: Duration = RedisServerProcess.commandTimeout,
                          _ body: @escaping @Sendable ([Instance], RedisServerProcess) async throws -> Void) async throws {
        try await RedisServerProcess.with { server in
            var settings = server.settings()
            settings.commandTimeout = commandTimeout
            let clients = (0..<count).map { _ in RedisClient(settings: settings, logger: quiet) }
            let instances = clients.map { redis in
                let guardian = AbuseGuard(policy: policy, sharesCounts: true)
                let recorded = Observed<(Incident, [String])>()
                let sync = GuardSync(guardian: guardian, redis: redis, clock: clock, interval: .milliseconds(100),
                                     timeout: settings.commandTimeout, logger: quiet) { recorded.report(($0, $1)) }
                return Instance(guardian: guardian, sync: sync, recorded: recorded)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { await client.run() } }
                defer { group.cancelAll() }
                #expect(await waitUntil { clients.allSatisfy(\.isConnected) })
                // A first round starts each instance's reading of the block feed.
                for instance in instances { #expect(await instance.sync.exchangeOnce()) }
                try await body(instances, server)
            }
        }
    }

    @Test func theRateLimitIsOneBucketForTheFleet() async throws {
        let clock = ManualClock()
        // No refill during the test: every admitted request is one token of six.
        try await Self.withFleet(policy: AbusePolicy(ratePerSecond: 0.0001, burst: 6), clock: clock) { fleet, _ in
            let client = "ip:198.51.100.20"
            for instance in fleet {
                for _ in 0..<2 { #expect(instance.check(client, at: clock.now()).isAllowedForTest) }
            }
            // Each instance sends its two, then learns of the others' four.
            for instance in fleet + fleet { #expect(await instance.sync.exchangeOnce()) }
            for instance in fleet {
                guard case .limited = instance.check(client, at: clock.now()) else {
                    Issue.record("six requests over three instances use up a burst of six")
                    continue
                }
            }
            // Another client has a bucket of its own.
            #expect(fleet[0].check("ip:198.51.100.21", at: clock.now()).isAllowedForTest)
        }
    }

    @Test func aBudgetUsedUpOnOneInstanceIsUsedUpOnInstancesThatNeverSawTheClient() async throws {
        let clock = ManualClock()
        try await Self.withFleet(policy: AbusePolicy(ratePerSecond: 0.0001, burst: 5), clock: clock) { fleet, _ in
            let client = "ip:198.51.100.22"
            for _ in 0..<5 { #expect(fleet[0].check(client, at: clock.now()).isAllowedForTest) }
            for instance in fleet { #expect(await instance.sync.exchangeOnce()) }
            for instance in fleet[1...] {
                guard case .limited = instance.check(client, at: clock.now()) else {
                    Issue.record("moving to another instance buys no fresh budget")
                    continue
                }
            }
        }
    }

    @Test func theBotRuleCountsAcrossInstancesAndEveryInstanceBlocksWithinTwoRounds() async throws {
        let clock = ManualClock()
        let policy = AbusePolicy(ratePerSecond: 0, seatMapLimit: 50, window: 2, blockFor: 300)
        try await Self.withFleet(policy: policy, clock: clock) { fleet, _ in
            let bot = "ip:198.51.100.7"
            // 51 distinct seat maps, 17 on each instance: no instance sees more than 17.
            for index in 0..<51 {
                let verdict = fleet[index % 3].check(bot, seatMap: "F\(index)", at: clock.now())
                #expect(verdict.isAllowedForTest, "read \(index) on its own instance")
            }
            // Round 1 of each: the third batch takes the fleet's count to 51, and that instance
            // detects the bot and blocks it at once.
            #expect(await fleet[0].sync.exchangeOnce())
            #expect(await fleet[1].sync.exchangeOnce())
            #expect(!fleet[0].isBlocked(bot, at: clock.now()) && !fleet[1].isBlocked(bot, at: clock.now()))
            #expect(await fleet[2].sync.exchangeOnce())
            #expect(fleet[2].isBlocked(bot, at: clock.now()))
            // Round 2 of the others: they hear the block.
            #expect(await fleet[0].sync.exchangeOnce())
            #expect(await fleet[1].sync.exchangeOnce())
            #expect(fleet.allSatisfy { $0.isBlocked(bot, at: clock.now()) })
            // One incident, by the instance that detected it, with the fleet's count.
            #expect(fleet[0].recorded.all.isEmpty && fleet[1].recorded.all.isEmpty)
            let incident = try #require(fleet[2].recorded.all.first?.0)
            #expect(incident.clientKey == bot && incident.blockedUntil == clock.now() + 300)
            #expect(incident.evidence.contains(#""distinctSeatMaps":51"#) && incident.evidence.contains(#""acrossFleet":true"#))
            // Further rounds detect nothing again while the block holds.
            for instance in fleet { #expect(await instance.sync.exchangeOnce()) }
            #expect(fleet[2].recorded.all.count == 1)
        }
    }

    @Test func aBookingDetectedByTheFleetBlocksItsAddressToo() async throws {
        let clock = ManualClock()
        let policy = AbusePolicy(ratePerSecond: 0, seatMapLimit: 10, window: 2, blockFor: 300)
        try await Self.withFleet(policy: policy, clock: clock) { fleet, _ in
            let booking = "booking:BOT123"
            for index in 0..<11 {
                _ = fleet[index % 3].check(booking, address: "203.0.113.9", seatMap: "F\(index)", at: clock.now())
            }
            for _ in 0..<2 { for instance in fleet { #expect(await instance.sync.exchangeOnce()) } }
            let recorded = fleet.flatMap(\.recorded.all)
            #expect(recorded.count == 1)
            #expect(recorded.first?.1 == ["ip:203.0.113.9"])
            for instance in fleet {
                // The booking from anywhere, and its address with no token.
                #expect(instance.isBlocked(booking, address: "198.51.100.99", at: clock.now()))
                #expect(instance.isBlocked("ip:203.0.113.9", address: "203.0.113.9", at: clock.now()))
            }
        }
    }

    @Test func blocksMadeLocallyAndLiftsReachTheFleet() async throws {
        let clock = ManualClock()
        let policy = AbusePolicy(ratePerSecond: 0, seatMapLimit: 5, window: 2, blockFor: 300)
        try await Self.withFleet(policy: policy, clock: clock) { fleet, _ in
            let bot = "ip:198.51.100.8"
            // Detected by one instance on its own count: it publishes the block with its next round.
            for index in 0..<6 { _ = fleet[0].check(bot, seatMap: "F\(index)", at: clock.now()) }
            #expect(fleet[0].isBlocked(bot, at: clock.now()))
            for instance in fleet { #expect(await instance.sync.exchangeOnce()) }
            #expect(fleet.allSatisfy { $0.isBlocked(bot, at: clock.now()) })
            // An admin lifts it on instance 1: the others hear of it by their next round.
            fleet[1].guardian.liftBlock(bot)
            for instance in fleet[1...] + fleet[..<1] { #expect(await instance.sync.exchangeOnce()) }
            #expect(fleet.allSatisfy { !$0.isBlocked(bot, at: clock.now()) })
        }
    }

    @Test func readsOutsideTheWindowAreForgottenByTheFleet() async throws {
        let clock = ManualClock()
        let policy = AbusePolicy(ratePerSecond: 0, seatMapLimit: 10, window: 2, blockFor: 300)
        try await Self.withFleet(2, policy: policy, clock: clock) { fleet, _ in
            let client = "ip:198.51.100.9"
            for index in 0..<10 { _ = fleet[index % 2].check(client, seatMap: "F\(index)", at: clock.now()) }
            for instance in fleet { #expect(await instance.sync.exchangeOnce()) }
            clock.advance(by: 2)
            // Ten more, all new, but the first ten have left the window.
            for index in 10..<20 { _ = fleet[index % 2].check(client, seatMap: "F\(index)", at: clock.now()) }
            for _ in 0..<2 { for instance in fleet { #expect(await instance.sync.exchangeOnce()) } }
            #expect(fleet.allSatisfy { !$0.isBlocked(client, at: clock.now()) })
            #expect(fleet.allSatisfy { $0.recorded.all.isEmpty })
        }
    }

    @Test func withRedisStoppedEachInstanceCountsAloneAndRecoversWhenItIsBack() async throws {
        let clock = ManualClock()
        try await Self.withFleet(2, policy: AbusePolicy(ratePerSecond: 0.0001, burst: 4), clock: clock) { fleet, server in
            #expect(fleet.allSatisfy { $0.sync.isSharing })
            await server.stop()
            // A round fails at once (no connection) or within the command timeout, never later.
            let started = ContinuousClock.now
            for instance in fleet { #expect(await !instance.sync.exchangeOnce()) }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(fleet.allSatisfy { !$0.sync.isSharing })
            // Alone, each instance gives the client its own burst of four, as without Redis.
            let client = "ip:198.51.100.30"
            for instance in fleet {
                for _ in 0..<4 { #expect(instance.check(client, at: clock.now()).isAllowedForTest) }
            }
            // Redis is back: the clients reconnect by themselves and the next rounds share again.
            try await server.start()
            let shared = await waitUntil {
                let first = await fleet[0].sync.exchangeOnce()
                let second = await fleet[1].sync.exchangeOnce()
                return first && second
            }
            #expect(shared)
            #expect(fleet.allSatisfy { $0.sync.isSharing })
            let next = "ip:198.51.100.31"
            for instance in fleet { for _ in 0..<2 { #expect(instance.check(next, at: clock.now()).isAllowedForTest) } }
            for instance in fleet + fleet { #expect(await instance.sync.exchangeOnce()) }
            for instance in fleet {
                guard case .limited = instance.check(next, at: clock.now()) else {
                    Issue.record("the fleet's bucket of four is used up again")
                    continue
                }
            }
        }
    }

    @Test func aFrozenRedisCostsARoundItsTimeoutNeverARequest() async throws {
        let clock = ManualClock()
        try await Self.withFleet(1, policy: AbusePolicy(ratePerSecond: 0.0001, burst: 4), clock: clock,
                                 commandTimeout: .milliseconds(300)) { fleet, server in
            server.freeze()
            let round = Task { await fleet[0].sync.exchangeOnce() }
            // While the round waits for Redis, requests are decided from memory as ever.
            let decided = ContinuousClock.now
            for _ in 0..<4 { #expect(fleet[0].check("ip:198.51.100.40", at: clock.now()).isAllowedForTest) }
            #expect(ContinuousClock.now - decided < .seconds(1))
            let started = ContinuousClock.now
            #expect(await round.value == false)
            #expect(ContinuousClock.now - started < .seconds(5), "the command timeout is 300 ms")
            #expect(!fleet[0].sync.isSharing)
            server.resume()
            #expect(await waitUntil { await fleet[0].sync.exchangeOnce() })
            #expect(fleet[0].sync.isSharing)
        }
    }
}

extension AbuseGuard.Verdict {
    var isAllowedForTest: Bool {
        if case .allowed = self { true } else { false }
    }
}
