import Foundation
import HTTPTypes
import SkyHighAPI
import SkyHighCore
import SkyHighTestSupport
import Testing

/// The abuse guard in front of the API. In-process requests come from 127.0.0.1; tests that
/// need many clients make 127.0.0.1 a trusted proxy and name the client in `X-Forwarded-For`.
@Suite struct AbuseGuardAPITests {
    static func guardian(rate: Double = 0, burst: Double = 10, allowlist: [String] = [],
                         trusted: [String] = ["127.0.0.1"]) -> AbuseGuard {
        AbuseGuard(policy: AbusePolicy(ratePerSecond: rate, burst: burst, seatMapLimit: 50, window: 2, blockFor: 300),
                   trustedProxies: trusted.compactMap(AddressRange.init), allowlist: allowlist.compactMap(AddressRange.init))
    }

    static func from(_ address: String) -> HTTPFields { [.init("X-Forwarded-For")!: address] }

    /// 60 flights, created directly in the store (fast), with ids F00...F59.
    static func flights(_ api: APIHarness, count: Int = 60) async throws {
        let seats = try AircraftLayout.builtIn["A320"]!.seats()
        for index in 0..<count {
            let flight = Flight(id: FlightID(String(format: "F%02d", index))!, flightNumber: "SH1", origin: "LHR",
                                destination: "JFK", departureTime: api.clock.now() + 86_400, aircraftType: "A320")
            _ = try await api.store.createFlight(flight, seats: seats, at: api.clock.now())
        }
    }

    @Test func theFiftyFirstDistinctSeatMapBlocksAndAnAdminLiftsIt() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian()) { api in
            try await Self.flights(api)
            let bot = Self.from("198.51.100.7")
            for index in 0..<50 {
                #expect(try await api.request(.get, String(format: "/flights/F%02d/seatmap", index), headers: bot).status == .ok)
            }
            let blocked = try await api.request(.get, "/flights/F50/seatmap", headers: bot)
            try blocked.expectProblem(.tooManyRequests, "client-blocked")
            #expect(blocked.headers[.retryAfter] == "300")
            // Blocked everywhere, not only on seat maps; other clients are served.
            try await api.request(.get, "/flights/F00", headers: bot).expectProblem(.tooManyRequests)
            #expect(try await api.request(.get, "/flights/F50/seatmap", headers: Self.from("198.51.100.8")).status == .ok)

            let incidents = try await api.request(.get, "/admin/incidents", token: APIHarness.adminToken).object()
            let list = try #require(incidents["incidents"] as? [[String: Any]])
            #expect(list.count == 1)
            #expect(list.first?["clientKey"] as? String == "ip:198.51.100.7")
            #expect(list.first?["rule"] as? String == "seatmap-scan")
            let evidence = try #require(list.first?["evidence"] as? [String: Any])
            #expect(evidence["distinctSeatMaps"] as? Int == 51)

            let lifted = try await api.request(.delete, "/admin/blocks/ip:198.51.100.7", token: APIHarness.adminToken)
            #expect(lifted.status == .noContent)
            #expect(try await api.request(.get, "/flights/F00/seatmap", headers: bot).status == .ok)
            try await api.request(.delete, "/admin/blocks/ip:198.51.100.7", token: APIHarness.adminToken)
                .expectProblem(.notFound, "block-not-found")
            #expect(try await api.store.activeBlocks(at: api.clock.now()).isEmpty)
        }
    }

    @Test func theWindowSlidesAndBlocksExpire() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian()) { api in
            try await Self.flights(api)
            let client = Self.from("198.51.100.9")
            for index in 0..<50 { _ = try await api.request(.get, String(format: "/flights/F%02d/seatmap", index), headers: client) }
            api.clock.advance(by: 2)
            // The first fifty have left the window: ten more distinct are fine.
            for index in 50..<60 {
                #expect(try await api.request(.get, String(format: "/flights/F%02d/seatmap", index), headers: client).status == .ok)
            }
            for index in 0..<41 { _ = try await api.request(.get, String(format: "/flights/F%02d/seatmap", index), headers: client) }
            try await api.request(.get, "/flights/F41/seatmap", headers: client).expectProblem(.tooManyRequests, "client-blocked")
            api.clock.advance(by: 299)
            try await api.request(.get, "/flights/F00/seatmap", headers: client).expectProblem(.tooManyRequests)
            api.clock.advance(by: 1)
            #expect(try await api.request(.get, "/flights/F00/seatmap", headers: client).status == .ok)
        }
    }

    @Test func rereadingOneSeatMapIsNotTheBotRule() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian()) { api in
            try await Self.flights(api, count: 1)
            for _ in 0..<300 {
                #expect(try await api.request(.get, "/flights/F00/seatmap", headers: Self.from("198.51.100.10")).status == .ok)
            }
        }
    }

    @Test func aSpoofedForwardedForFromAnUntrustedPeerChangesNothing() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(trusted: [])) { api in
            try await Self.flights(api)
            // Each request claims another address, but the peer is not a trusted proxy: one client.
            for index in 0..<50 {
                _ = try await api.request(.get, String(format: "/flights/F%02d/seatmap", index),
                                          headers: Self.from("203.0.113.\(index)"))
            }
            try await api.request(.get, "/flights/F50/seatmap", headers: Self.from("203.0.113.99"))
                .expectProblem(.tooManyRequests, "client-blocked")
            let incidents = try await api.store.incidents(limit: 10)
            #expect(incidents.map(\.clientKey) == ["ip:127.0.0.1"])
        }
    }

    @Test func allowlistedAddressesAreNeverBlockedByAddress() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(rate: 1, burst: 1, allowlist: ["192.0.2.0/24"])) { api in
            try await Self.flights(api)
            for index in 0..<60 {
                #expect(try await api.request(.get, String(format: "/flights/F%02d/seatmap", index),
                                              headers: Self.from("192.0.2.44")).status == .ok)
            }
        }
    }

    @Test func theRateLimitAnswers429WithRetryAfterAndRateLimitHeaders() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(rate: 1, burst: 3)) { api in
            try await Self.flights(api, count: 1)
            let client = Self.from("198.51.100.20")
            for remaining in [2, 1, 0] {
                let reply = try await api.request(.get, "/flights/F00", headers: client)
                #expect(reply.status == .ok)
                #expect(reply.headers[.init("RateLimit-Remaining")!] == "\(remaining)")
            }
            let limited = try await api.request(.get, "/flights/F00", headers: client)
            try limited.expectProblem(.tooManyRequests, "rate-limited")
            #expect(limited.headers[.retryAfter] == "1")
            #expect(limited.headers[.init("RateLimit-Limit")!] == "3")
            // Another client has its own bucket; time refills this one.
            #expect(try await api.request(.get, "/flights/F00", headers: Self.from("198.51.100.21")).status == .ok)
            api.clock.advance(by: 1)
            #expect(try await api.request(.get, "/flights/F00", headers: client).status == .ok)
            // A signed-in passenger is limited as their booking, wherever they come from.
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            for _ in 0..<3 { _ = try await api.request(.get, "/flights/F00", token: session.token, headers: Self.from("198.51.100.30")) }
            try await api.request(.get, "/flights/F00", token: session.token, headers: Self.from("198.51.100.31"))
                .expectProblem(.tooManyRequests, "rate-limited")
        }
    }

    @Test func trackedClientsStayBounded() {
        let guardian = AbuseGuard(policy: AbusePolicy(), maximumClients: 1_600)
        let now = Date()
        for index in 0..<20_000 {
            _ = guardian.check(clientKey: "ip:10.0.\(index / 256).\(index % 256)", address: "x", byAddress: true,
                               seatMap: "F1", at: now + Double(index) / 1000)
        }
        #expect(guardian.trackedClients <= 1_600)
    }
}
