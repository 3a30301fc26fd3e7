import Foundation
import HTTPTypes
import SkyHighAPI
import SkyHighCore
import SkyHighTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The keys a client is counted and blocked by, and the guard in front of token lookups, on one
/// instance (in-process, the store on SQLite). The fleet's side is in `FleetGuardTests`.
@Suite struct AbuseKeysAPITests {
    static func guardian(rate: Double = 0, burst: Double = 10, limit: Int = 50, allowlist: [String] = [],
                         trusted: [String] = ["127.0.0.1"]) -> AbuseGuard {
        AbuseGuard(policy: AbusePolicy(ratePerSecond: rate, burst: burst, seatMapLimit: limit, window: 2, blockFor: 300),
                   trustedProxies: trusted.compactMap(AddressRange.init), allowlist: allowlist.compactMap(AddressRange.init))
    }

    static func from(_ address: String) -> HTTPFields { AbuseGuardAPITests.from(address) }
    static func path(_ flight: Int) -> String { String(format: "/flights/F%02d/seatmap", flight) }

    @Test func ipv6ClientsShareTheBudgetOfTheirSlash64() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(rate: 0.0001, burst: 3)) { api in
            try await AbuseGuardAPITests.flights(api, count: 1)
            for host in ["2001:db8:5:1::1", "2001:db8:5:1::2", "2001:db8:5:1:abcd::3"] {
                #expect(try await api.request(.get, "/flights/F00", headers: Self.from(host)).status == .ok)
            }
            try await api.request(.get, "/flights/F00", headers: Self.from("2001:db8:5:1::4"))
                .expectProblem(.tooManyRequests, "rate-limited")
            #expect(try await api.request(.get, "/flights/F00", headers: Self.from("2001:db8:5:2::1")).status == .ok)
        }
    }

    @Test func aBlockedBookingIsBlockedAtItsAddressAndTheAdminLiftsBoth() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(limit: 10)) { api in
            try await AbuseGuardAPITests.flights(api, count: 12)
            try await api.createFlight()
            let bot = try await api.bookedPassenger("BOT123")
            let address = Self.from("2001:db8:9:9::7")
            for flight in 0..<10 {
                #expect(try await api.request(.get, Self.path(flight), token: bot.token, headers: address).status == .ok)
            }
            try await api.request(.get, Self.path(10), token: bot.token, headers: address)
                .expectProblem(.tooManyRequests, "client-blocked")
            // No token, same /64: blocked. The token from elsewhere: blocked.
            try await api.request(.get, "/flights/F00", headers: Self.from("2001:db8:9:9::8"))
                .expectProblem(.tooManyRequests, "client-blocked")
            try await api.request(.get, "/flights/F00", token: bot.token, headers: Self.from("198.51.100.1"))
                .expectProblem(.tooManyRequests, "client-blocked")
            #expect(try await api.store.activeBlocks(at: api.clock.now()).keys.sorted()
                    == ["booking:BOT123", "ip:2001:db8:9:9::/64"])
            // Lifting the address (a key with a slash, percent-encoded) lifts the booking's block too.
            let lifted = try await api.request(.delete, "/admin/blocks/ip:2001:db8:9:9::%2F64", token: APIHarness.adminToken)
            #expect(lifted.status == .noContent, "\(lifted.text)")
            #expect(try await api.request(.get, "/flights/F00", token: bot.token, headers: address).status == .ok)
            #expect(try await api.store.activeBlocks(at: api.clock.now()).isEmpty)
        }
    }

    @Test func anAddressBlockHoldsWhateverTokenComesNext() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(limit: 10)) { api in
            try await AbuseGuardAPITests.flights(api, count: 12)
            try await api.createFlight()
            let passenger = try await api.bookedPassenger("PAX123")
            let bot = Self.from("203.0.113.77")
            for flight in 0..<11 { _ = try await api.request(.get, Self.path(flight), headers: bot) }
            try await api.request(.get, "/flights/F00", token: passenger.token, headers: bot)
                .expectProblem(.tooManyRequests, "client-blocked")
            try await api.request(.get, "/flights/F00", token: "sh_made-up", headers: bot)
                .expectProblem(.tooManyRequests, "client-blocked")
            #expect(try await api.request(.get, "/flights/F00", token: passenger.token,
                                          headers: Self.from("203.0.113.78")).status == .ok)
        }
    }

    @Test func anAllowlistedAddressIsNotBlockedWithItsBooking() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(limit: 10, allowlist: ["192.0.2.0/24"])) { api in
            try await AbuseGuardAPITests.flights(api, count: 12)
            try await api.createFlight()
            let kiosk = Self.from("192.0.2.10")
            let bot = try await api.bookedPassenger("KIO123")
            for flight in 0..<11 { _ = try await api.request(.get, Self.path(flight), token: bot.token, headers: kiosk) }
            try await api.request(.get, "/flights/F00", token: bot.token, headers: kiosk).expectProblem(.tooManyRequests)
            #expect(try await api.request(.get, "/flights/F00", headers: kiosk).status == .ok)
            #expect(try await api.store.activeBlocks(at: api.clock.now()).keys.sorted() == ["booking:KIO123"])
        }
    }

    @Test func openingALiveStreamIsASeatMapRead() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(limit: 10)) { api in
            try await AbuseGuardAPITests.flights(api, count: 12)
            let client = Self.from("198.51.100.90")
            for flight in 0..<10 { #expect(try await api.request(.get, Self.path(flight), headers: client).status == .ok) }
            try await api.request(.get, "/flights/F10/seatmap/events", headers: client)
                .expectProblem(.tooManyRequests, "client-blocked")
            let evidence = try await api.store.incidents(limit: 1).first?.evidence ?? ""
            #expect(evidence.contains(#""distinctSeatMaps":11"#), "the stream was the eleventh")
        }
    }

    @Test func unknownTokensArePaidForByTheirAddress() async throws {
        try await APIHarness.run(.sqlite, abuseGuard: Self.guardian(rate: 0.0001, burst: 3)) { api in
            try await AbuseGuardAPITests.flights(api, count: 1)
            try await api.createFlight()
            let first = try await api.bookedPassenger("NAT001")
            let second = try await api.bookedPassenger("NAT002")
            let address = Self.from("198.51.100.91")
            // The address's budget of three pays for three bad tokens (the same one twice: the
            // second is answered from memory, and still paid for).
            try await api.request(.get, "/flights/F00", token: "sh_one", headers: address).expectProblem(.unauthorized, "invalid-token")
            try await api.request(.get, "/flights/F00", token: "sh_one", headers: address).expectProblem(.unauthorized, "invalid-token")
            var malformed = address
            malformed[.authorization] = "Basic abc"
            try await api.request(.get, "/flights/F00", headers: malformed).expectProblem(.unauthorized, "invalid-token")
            // Then any token memory cannot vouch for is refused before a lookup.
            try await api.request(.get, "/flights/F00", token: "sh_two", headers: address).expectProblem(.tooManyRequests, "rate-limited")
            // Passengers behind that address keep their own budgets (their sessions are known).
            for session in [first, second] {
                let reply = try await api.request(.get, "/flights/F00", token: session.token, headers: address)
                #expect(reply.status == .ok)
                #expect(reply.headers[HTTPField.Name("RateLimit-Remaining")!] == "2")
            }
            // A bad token costs its address one request: another address has two left after one.
            let other = Self.from("198.51.100.92")
            try await api.request(.get, "/flights/F00", token: "sh_three", headers: other).expectProblem(.unauthorized)
            #expect(try await api.request(.get, "/flights/F00", headers: other).headers[HTTPField.Name("RateLimit-Remaining")!] == "1")
        }
    }

    @Test func streamsAreCappedPerClientAndPerInstance() async throws {
        try await APIHarness.run(.sqlite, mode: .live, abuseGuard: Self.guardian(),
                                 streamLimits: StreamLimits(perClient: 2, perInstance: 3)) { api in
            try await api.createFlight()
            let port = try #require(api.client.port)
            let path = "/flights/SH100/seatmap/events"
            let open = Observed<Int32>()
            defer { for socket in open.all { RawHTTPSocket.close(socket) } }
            @Sendable func stream(from address: String) throws -> (socket: Int32, head: String) {
                let socket = try RawHTTPSocket.open(port: port, get: path, headers: ["X-Forwarded-For: \(address)"])
                return (socket, Self.head(socket))
            }
            let (first, firstHead) = try stream(from: "198.51.100.93")
            let (second, secondHead) = try stream(from: "198.51.100.93")
            #expect(firstHead.hasPrefix("HTTP/1.1 200") && secondHead.hasPrefix("HTTP/1.1 200"), "\(firstHead)")
            open.report(second)
            let (refused, head) = try stream(from: "198.51.100.93")
            RawHTTPSocket.close(refused)
            #expect(head.hasPrefix("HTTP/1.1 429") && head.contains("too-many-streams"), "\(head)")
            #expect(head.lowercased().contains("retry-after: 10"))
            // Closing one frees its place at once.
            RawHTTPSocket.close(first)
            let reopened = await waitUntil {
                guard let (socket, head) = try? stream(from: "198.51.100.93") else { return false }
                if head.hasPrefix("HTTP/1.1 200") {
                    open.report(socket)
                    return true
                }
                RawHTTPSocket.close(socket)
                return false
            }
            #expect(reopened)
            // Three on the instance: a fourth client is refused too.
            let (third, thirdHead) = try stream(from: "198.51.100.94")
            open.report(third)
            #expect(thirdHead.hasPrefix("HTTP/1.1 200"))
            let (fourth, fourthHead) = try stream(from: "198.51.100.95")
            RawHTTPSocket.close(fourth)
            #expect(fourthHead.hasPrefix("HTTP/1.1 429") && fourthHead.contains("too-many-streams"))
        }
    }

    /// What arrived until the end of the answer's head (and some of its body), within 10 s.
    static func head(_ socket: Int32) -> String {
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains("\r\n\r\n") {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return received
    }
}
