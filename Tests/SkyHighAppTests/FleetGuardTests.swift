import Foundation
import HTTPTypes
import SkyHighTestSupport
import Testing

/// The abuse rules across a fleet: three `skyhigh serve` processes on one PostgreSQL and one
/// redis-server, over real sockets, with clients spread over the instances as a round-robin
/// balancer would spread them.
@Suite(.enabled(if: Fleet.isAvailable || RedisServerProcess.required || TestPostgres.required),
       .serialized)
struct FleetGuardTests {
    static func path(_ flight: Int) -> String { String(format: "/flights/F%02d/seatmap", flight) }

    @Test func aBotSpreadOverThreeInstancesIsBlockedOnEveryInstance() async throws {
        // A wide window, so that the reads fit in it however loaded the machine is.
        try await Fleet.run(settings: ["SKYHIGH_ABUSE_WINDOW_SECONDS": "60", "SKYHIGH_RATE_LIMIT_PER_SECOND": "0"]) { fleet in
            try await fleet.flights(51)
            let bot = "198.51.100.7"
            for flight in 0..<51 {
                let reply = try await fleet.request(flight % 3, .get, Self.path(flight), from: bot)
                #expect(reply.status == .ok, "read \(flight): 17 per instance is within each one's own count")
            }
            let crossed = ContinuousClock.now
            var delays: [Duration] = []
            for index in fleet.instances.indices {
                let blocked = try await waitUntil {
                    try await fleet.request(index, .get, "/flights/F00", from: bot).problem == "client-blocked"
                }
                #expect(blocked, "instance \(index) did not block the bot")
                delays.append(ContinuousClock.now - crossed)
            }
            print("fleet detection: every instance blocked the bot \(delays) after its 51st distinct read")
            // The contract is 0.5 s (GuardSyncTests checks the two rounds it takes); the bound here
            // only keeps a loaded machine from failing the test.
            #expect(delays.allSatisfy { $0 < .seconds(10) })
            // Another client is served; one incident was recorded, counted over the fleet.
            #expect(try await fleet.request(1, .get, Self.path(3), from: "198.51.100.8").status == .ok)
            let incidents = try await fleet.request(0, .get, "/admin/incidents", token: Fleet.adminToken).object()
            let list = incidents["incidents"] as? [[String: Any]] ?? []
            #expect(list.count == 1)
            #expect(list.first?["clientKey"] as? String == "ip:\(bot)")
            let evidence = list.first?["evidence"] as? [String: Any] ?? [:]
            #expect(evidence["distinctSeatMaps"] as? Int == 51 && evidence["acrossFleet"] as? Bool == true)
        }
    }

    @Test func withoutRedisEachInstanceCountsAloneAndSaysSo() async throws {
        try await Fleet.run(redis: false, settings: ["SKYHIGH_ABUSE_WINDOW_SECONDS": "60",
                                                     "SKYHIGH_RATE_LIMIT_PER_SECOND": "0"]) { fleet in
            try await fleet.flights(51)
            for flight in 0..<51 {
                #expect(try await fleet.request(flight % 3, .get, Self.path(flight), from: "198.51.100.9").status == .ok)
            }
            for index in fleet.instances.indices {
                #expect(try await fleet.request(index, .get, "/flights/F00", from: "198.51.100.9").status == .ok)
                #expect(fleet.instances[index].logText.contains("SKYHIGH_REDIS_URL is not set"))
            }
        }
    }

    @Test func theRateLimitIsOneBudgetAcrossTheFleet() async throws {
        // No refill within the test: a burst of 30 is all a client gets.
        try await Fleet.run(settings: ["SKYHIGH_RATE_LIMIT_PER_SECOND": "0.001", "SKYHIGH_RATE_LIMIT_BURST": "30"]) { fleet in
            try await fleet.flights(1)
            // Paced: one request per instance, then every instance exchanges twice.
            var admitted = 0
            for _ in 0..<15 {
                for index in fleet.instances.indices {
                    let reply = try await fleet.request(index, .get, "/flights/F00", from: "198.51.100.20")
                    #expect(reply.status == .ok || reply.problem == "rate-limited", "\(reply.status) \(reply.body)")
                    if reply.status == .ok { admitted += 1 }
                }
                try await fleet.exchangeRounds()
            }
            #expect(admitted == 30, "45 requests over three instances, a fleet budget of 30")
            // As fast as the client can: the instances hear of each other within two rounds, so a
            // few more get through before the fleet's bucket catches up, and are owed afterwards.
            var burst = 0
            for request in 0..<90 {
                let reply = try await fleet.request(request % 3, .get, "/flights/F00", from: "198.51.100.21")
                if reply.status == .ok { burst += 1 }
            }
            print("fleet rate limit: paced \(admitted) of 45 admitted (budget 30); unpaced \(burst) of 90 (budget 30)")
            #expect(burst < 90, "three instances alone would admit all 90")
        }
    }

    @Test func keysCannotBeDodged() async throws {
        try await Fleet.run(settings: ["SKYHIGH_ABUSE_WINDOW_SECONDS": "60", "SKYHIGH_ABUSE_SEATMAP_LIMIT": "10",
                                       "SKYHIGH_RATE_LIMIT_PER_SECOND": "0.001", "SKYHIGH_RATE_LIMIT_BURST": "30"]) { fleet in
            try await fleet.flights(12)
            // IPv6: one /64 is one client.
            for host in 1...30 {
                #expect(try await fleet.request(0, .get, "/flights/F00", from: "2001:db8:7:1::\(host)").status == .ok)
            }
            #expect(try await fleet.request(0, .get, "/flights/F00", from: "2001:db8:7:1:ffff::1").problem == "rate-limited")
            #expect(try await fleet.request(0, .get, "/flights/F00", from: "2001:db8:7:2::1").status == .ok)

            // A signed-in bot is blocked as its booking and as its address.
            let token = try await fleet.signedIn("BOT001", through: 1)
            for flight in 0..<10 {
                #expect(try await fleet.request(1, .get, Self.path(flight), token: token, from: "203.0.113.50").status == .ok)
            }
            #expect(try await fleet.request(1, .get, Self.path(10), token: token, from: "203.0.113.50").problem == "client-blocked")
            for index in fleet.instances.indices {
                #expect(try await waitUntil {
                    try await fleet.request(index, .get, "/flights/F00", from: "203.0.113.50").problem == "client-blocked"
                }, "dropping the token does not help, on instance \(index)")
                #expect(try await waitUntil {
                    try await fleet.request(index, .get, "/flights/F00", token: token, from: "203.0.113.51").problem == "client-blocked"
                }, "another address does not help, on instance \(index)")
            }
            // An anonymous bot is blocked as its address whatever token it sends next.
            let other = try await fleet.signedIn("PAX002", through: 2)
            for flight in 0..<11 { _ = try await fleet.request(2, .get, Self.path(flight), from: "203.0.113.60") }
            for index in fleet.instances.indices {
                #expect(try await waitUntil {
                    try await fleet.request(index, .get, "/flights/F00", token: other, from: "203.0.113.60").problem == "client-blocked"
                }, "a valid token does not help, on instance \(index)")
            }
            // The booking itself, from its own address, is not blocked.
            #expect(try await fleet.request(2, .get, "/flights/F00", token: other, from: "203.0.113.61").status == .ok)
        }
    }

    @Test func liveStreamsCountAsSeatMapReadsAndAreCapped() async throws {
        try await Fleet.run(settings: ["SKYHIGH_ABUSE_WINDOW_SECONDS": "60", "SKYHIGH_ABUSE_SEATMAP_LIMIT": "10",
                                       "SKYHIGH_RATE_LIMIT_PER_SECOND": "0"],
                            perInstance: [2: ["SKYHIGH_SSE_MAX_STREAMS": "2"]]) { fleet in
            try await fleet.flights(12)
            // Ten seat maps read, then the eleventh flight followed live: the bot rule.
            for flight in 0..<10 { _ = try await fleet.request(flight % 2, .get, Self.path(flight), from: "198.51.100.70") }
            try await fleet.exchangeRounds()
            let stream = try StreamConnection(port: fleet.instances[0].port, path: "/flights/F10/seatmap/events",
                                              from: "198.51.100.70")
            stream.close()
            #expect(stream.status == 200 || stream.status == 429)
            for index in fleet.instances.indices {
                #expect(try await waitUntil {
                    try await fleet.request(index, .get, "/flights/F00", from: "198.51.100.70").problem == "client-blocked"
                }, "instance \(index)")
            }

            // Four streams per client; the fifth is refused, and closing one frees its place.
            var open: [StreamConnection] = []
            for flight in 0..<4 {
                let connection = try StreamConnection(port: fleet.instances[0].port, path: "/flights/F0\(flight)/seatmap/events",
                                                      from: "198.51.100.71")
                #expect(connection.status == 200, "\(connection.head)")
                open.append(connection)
            }
            let refused = try StreamConnection(port: fleet.instances[0].port, path: "/flights/F05/seatmap/events",
                                               from: "198.51.100.71")
            refused.close()
            #expect(refused.status == 429)
            #expect(refused.head.lowercased().contains("retry-after:"))
            #expect(refused.head.contains("application/problem+json"))
            #expect(refused.head.contains("too-many-streams"))
            open.removeFirst().close()
            #expect(try await waitUntil {
                let again = try StreamConnection(port: fleet.instances[0].port, path: "/flights/F05/seatmap/events",
                                                 from: "198.51.100.71")
                if again.status == 200 { open.append(again) } else { again.close() }
                return again.status == 200
            })
            // The instance's own limit (2 on instance 2), whoever asks.
            for client in ["198.51.100.72", "198.51.100.73"] {
                let connection = try StreamConnection(port: fleet.instances[2].port, path: "/flights/F00/seatmap/events",
                                                      from: client)
                #expect(connection.status == 200)
                open.append(connection)
            }
            let full = try StreamConnection(port: fleet.instances[2].port, path: "/flights/F00/seatmap/events",
                                            from: "198.51.100.74")
            full.close()
            #expect(full.status == 429 && full.head.contains("too-many-streams"))
            for connection in open { connection.close() }
        }
    }

    @Test func unknownTokensArePaidForByTheirAddressBeforeAnyLookup() async throws {
        try await Fleet.run(settings: ["SKYHIGH_RATE_LIMIT_PER_SECOND": "0.001", "SKYHIGH_RATE_LIMIT_BURST": "5"]) { fleet in
            try await fleet.flights(1)
            let lookups = "skyhigh_auth_token_lookups_total"
            // Two passengers behind one address, signed in on instance 0.
            let first = try await fleet.signedIn("NAT001")
            let second = try await fleet.signedIn("NAT002")
            let before = try await fleet.metric(0, lookups)
            // A flood of random tokens from that address: five are looked up, the rest are 429
            // before any lookup.
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<40 {
                statuses.append(try await fleet.request(0, .get, "/flights/F00", token: "sh_\(UUID())", from: "198.51.100.80").status)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == .unauthorized })
            #expect(statuses.dropFirst(5).allSatisfy { $0 == .tooManyRequests })
            #expect(try await fleet.metric(0, lookups) - before == 5)
            // The passengers behind it keep their own budgets.
            for token in [first, second] {
                let reply = try await fleet.request(0, .get, "/flights/F00", token: token, from: "198.51.100.80")
                #expect(reply.status == .ok)
                #expect(reply.headers[HTTPField.Name("RateLimit-Remaining")!] == "4")
            }
            // The address's budget is the fleet's: once the instances have exchanged, another
            // instance refuses its tokens before any lookup too.
            try await fleet.exchangeRounds()
            let elsewhere = try await fleet.metric(1, lookups)
            #expect(try await fleet.request(1, .get, "/flights/F00", token: "sh_\(UUID())", from: "198.51.100.80").status
                    == .tooManyRequests)
            #expect(try await fleet.metric(1, lookups) == elsewhere)
            // A bad token repeated is answered from memory: looked up once.
            let repeated = "sh_\(UUID())"
            let start = try await fleet.metric(2, lookups)
            for _ in 0..<3 {
                #expect(try await fleet.request(2, .get, "/flights/F00", token: repeated, from: "198.51.100.81").status
                        == .unauthorized)
            }
            #expect(try await fleet.metric(2, lookups) - start == 1)
        }
    }

    @Test func metricsNeedTheAdminToken() async throws {
        try await Fleet.run(1) { fleet in
            try await fleet.flights(1)
            let token = try await fleet.signedIn("MET001")
            #expect(try await fleet.request(0, .get, "/metrics").status == .unauthorized)
            #expect(try await fleet.request(0, .get, "/metrics", token: token).status == .forbidden)
            let metrics = try await fleet.request(0, .get, "/metrics", token: Fleet.adminToken)
            #expect(metrics.status == .ok)
            #expect(metrics.body.contains("skyhigh_guard_redis_up 1") || metrics.body.contains("skyhigh_guard_redis_up 0"))
            #expect(try await waitUntil { try await fleet.metric(0, "skyhigh_guard_redis_up") == 1 })
        }
    }
}
