import Foundation
import HTTPTypes
import SkyHighTestSupport
import Synchronization
import Testing

/// Redis stopped, and frozen, in the middle of a run of three `skyhigh serve` processes under
/// load: no request fails or hangs, every instance falls back to counting alone (logged and
/// counted in `/metrics`), and recovers by itself when Redis is back. (Part of the fleet suite,
/// whose tests run one at a time: each starts three processes.)
extension FleetGuardTests {
    /// Requests round robin over the instances until stopped: every status and the slowest answer.
    final class Load: Sendable {
        private let running = Mutex(true)
        let statuses = Observed<Int>()
        let slowest = Mutex(Duration.zero)
        let failures = Observed<String>()

        func start(_ fleet: Fleet) -> Task<Void, Never> {
            Task {
                var request = 0
                while running.withLock({ $0 }) {
                    let instance = request % fleet.instances.count
                    let path = request % 2 == 0 ? String(format: "/flights/F%02d/seatmap", request % 5) : "/flights/F00"
                    let started = ContinuousClock.now
                    do {
                        let reply = try await fleet.request(instance, .get, path, from: "198.51.100.\(request % 20)")
                        statuses.report(reply.status.code)
                    } catch {
                        failures.report("\(error)")
                    }
                    let took = ContinuousClock.now - started
                    slowest.withLock { $0 = max($0, took) }
                    request += 1
                }
            }
        }

        func stop() { running.withLock { $0 = false } }
    }

    static let settings = ["SKYHIGH_REDIS_TIMEOUT_MS": "200", "SKYHIGH_ABUSE_SEATMAP_LIMIT": "10",
                           "SKYHIGH_ABUSE_WINDOW_SECONDS": "60", "SKYHIGH_RATE_LIMIT_PER_SECOND": "0"]

    /// Waits until every instance's `/metrics` shows `sample` at `value`.
    static func everyInstance(_ fleet: Fleet, _ sample: String, is value: Double) async throws -> Bool {
        for index in fleet.instances.indices {
            guard try await waitUntil(within: .seconds(20), { try await fleet.metric(index, sample) == value }) else { return false }
        }
        return true
    }

    /// Lets the load make another 60 requests (while Redis is away).
    static func moreRequests(_ load: Load) async {
        let mark = load.statuses.all.count + load.failures.all.count
        let done = await load.statuses.wait(within: .seconds(30)) { $0.count + load.failures.all.count >= mark + 60 }
        #expect(done, "the load made no progress")
    }

    /// A bot reading eleven seat maps over the three instances ends up blocked on every one.
    static func botIsBlockedEverywhere(_ fleet: Fleet, bot: String) async throws -> Bool {
        for flight in 0..<11 { _ = try await fleet.request(flight % 3, .get, String(format: "/flights/F%02d/seatmap", flight), from: bot) }
        for index in fleet.instances.indices {
            let blocked = try await waitUntil {
                try await fleet.request(index, .get, "/flights/F00", from: bot).problem == "client-blocked"
            }
            if !blocked { return false }
        }
        return true
    }

    @Test func redisStoppedMidRunCostsNoRequestAndComesBack() async throws {
        try await Fleet.run(settings: Self.settings) { fleet in
            try await fleet.flights(12)
            let redis = try #require(fleet.redis)
            #expect(try await Self.everyInstance(fleet, "skyhigh_guard_redis_up", is: 1))
            let load = Load()
            let running = load.start(fleet)
            await redis.stop()
            #expect(try await Self.everyInstance(fleet, "skyhigh_guard_redis_up", is: 0))
            await Self.moreRequests(load)
            for index in fleet.instances.indices {
                #expect(try await fleet.metric(index, "skyhigh_guard_redis_fallbacks_total") >= 1)
                #expect(fleet.instances[index].logText.contains("Redis unavailable"))
            }
            // Alone, each instance counts only its own: eleven reads over three do not block.
            for flight in 0..<11 {
                #expect(try await fleet.request(flight % 3, .get, String(format: "/flights/F%02d/seatmap", flight),
                                                from: "203.0.113.1").status == .ok)
            }
            try await redis.start()
            #expect(try await Self.everyInstance(fleet, "skyhigh_guard_redis_up", is: 1))
            load.stop()
            await running.value
            for index in fleet.instances.indices {
                #expect(fleet.instances[index].logText.contains("Redis is back"))
            }
            let statuses = load.statuses.all
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0 < 500 }, "\(Set(statuses))")
            #expect(load.failures.all.isEmpty, "\(load.failures.all.prefix(3))")
            let slowest = load.slowest.withLock { $0 }
            print("Redis stopped: \(statuses.count) requests, none 5xx, slowest \(slowest)")
            #expect(slowest < .seconds(3), "no request waits for Redis")
            // Counting with the fleet again.
            #expect(try await Self.botIsBlockedEverywhere(fleet, bot: "203.0.113.2"))
        }
    }

    @Test func aFrozenRedisCostsNoRequestAndComesBack() async throws {
        try await Fleet.run(settings: Self.settings) { fleet in
            try await fleet.flights(12)
            let redis = try #require(fleet.redis)
            #expect(try await Self.everyInstance(fleet, "skyhigh_guard_redis_up", is: 1))
            let load = Load()
            let running = load.start(fleet)
            // Stopped, not gone: connections stay open and nothing answers, as with a hung host.
            redis.freeze()
            #expect(try await Self.everyInstance(fleet, "skyhigh_guard_redis_up", is: 0))
            await Self.moreRequests(load)
            redis.resume()
            #expect(try await Self.everyInstance(fleet, "skyhigh_guard_redis_up", is: 1))
            load.stop()
            await running.value
            let statuses = load.statuses.all
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0 < 500 }, "\(Set(statuses))")
            #expect(load.failures.all.isEmpty, "\(load.failures.all.prefix(3))")
            let slowest = load.slowest.withLock { $0 }
            print("Redis frozen: \(statuses.count) requests, none 5xx, slowest \(slowest)")
            #expect(slowest < .seconds(3), "no request waits for Redis")
            #expect(try await Self.botIsBlockedEverywhere(fleet, bot: "203.0.113.3"))
        }
    }
}
