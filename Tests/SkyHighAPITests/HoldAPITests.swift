import Foundation
import HTTPTypes
import SkyHighTestSupport
import Testing

@Suite struct HoldAPITests {
    @Test(arguments: StoreKind.available)
    func signInHoldConfirmCancel(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            try await api.createBooking("ABC123", lastNames: ["Lovelace", "Babbage"])
            let session = try await api.signIn("abc123", "  LOVELACE ")
            #expect(session.passengers.count == 2)

            let map = try await api.request(.get, "/flights/SH100/seatmap")
            #expect(map.status == .ok)
            let etag = try #require(map.headers[.eTag])
            let cabins = try #require(try map.object()["cabins"] as? [[String: Any]])
            #expect(cabins.map { $0["cabin"] as? String } == ["BUSINESS", "ECONOMY"])

            let held = try await api.hold("12A", for: session.passengers[0], token: session.token)
            #expect(held.status == .created, "\(held.text)")
            let holdID = try #require(try held.string("holdId"))
            #expect(held.headers[.location] == "/holds/\(holdID)")
            #expect(try held.string("state") == "HELD")
            #expect(try held.string("seatId") == "12A")
            #expect(try held.string("expiresAt") != nil)

            let changed = try await api.request(.get, "/flights/SH100/seatmap", headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            #expect(changed.text.contains(#"{"characteristics":["WINDOW"],"seatId":"12A","state":"HELD"}"#))
            let unchanged = try await api.request(.get, "/flights/SH100/seatmap",
                                                  headers: [.ifNoneMatch: try #require(changed.headers[.eTag])])
            #expect(unchanged.status == .notModified)
            #expect(unchanged.body.isEmpty)

            #expect(try await api.request(.get, "/holds/\(holdID)", token: session.token).string("state") == "HELD")
            let confirmed = try await api.request(.post, "/holds/\(holdID)/confirm", token: session.token)
            #expect(confirmed.status == .ok)
            #expect(try confirmed.string("state") == "CONFIRMED")
            try await api.request(.post, "/holds/\(holdID)/confirm", token: session.token).expectProblem(.conflict, "hold-not-held")

            let cancelled = try await api.request(.post, "/holds/\(holdID)/cancel", token: session.token)
            #expect(try cancelled.string("state") == "CANCELLED")
            let after = try await api.request(.get, "/flights/SH100/seatmap")
            #expect(after.text.contains(#""seatId":"12A","state":"AVAILABLE""#))
            // The other passenger of the booking can take it at once.
            #expect(try await api.hold("12A", for: session.passengers[1], token: session.token).status == .created)
        }
    }

    @Test(arguments: StoreKind.available)
    func holdingAgainAndHoldingASecondSeat(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let passenger = session.passengers[0]
            let first = try await api.hold("5A", for: passenger, token: session.token)
            try await api.hold("5A", for: passenger, token: session.token).expectProblem(.conflict, "already-holding-seat")
            let second = try await api.hold("6A", for: passenger, token: session.token)
            #expect(second.status == .created)
            let firstID = try #require(try first.string("holdId"))
            #expect(try await api.request(.get, "/holds/\(firstID)", token: session.token).string("state") == "CANCELLED")
        }
    }

    @Test(arguments: StoreKind.available)
    func expiryIsExactWithoutASweep(kind: StoreKind) async throws {
        try await APIHarness.run(kind, holdSeconds: 3) { api in
            try await api.createFlight()
            let first = try await api.bookedPassenger("AAA111")
            let second = try await api.bookedPassenger("BBB222")
            let held = try await api.hold("12A", for: first.passengers[0], token: first.token)
            let holdID = try #require(try held.string("holdId"))
            try await api.hold("12A", for: second.passengers[0], token: second.token).expectProblem(.conflict, "seat-unavailable")
            api.clock.advance(by: 3)
            #expect(try await api.request(.get, "/holds/\(holdID)", token: first.token).string("state") == "EXPIRED")
            try await api.request(.post, "/holds/\(holdID)/confirm", token: first.token).expectProblem(.gone, "hold-expired")
            #expect(try await api.hold("12A", for: second.passengers[0], token: second.token).status == .created)
            try await api.request(.post, "/holds/\(holdID)/confirm", token: first.token).expectProblem(.gone, "hold-expired")
        }
    }

    @Test(arguments: StoreKind.available)
    func aHundredClientsRaceForOneSeat(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            var sessions: [APIHarness.SignedIn] = []
            for index in 0..<12 {
                sessions.append(try await api.bookedPassenger(String(format: "RACE%02d", index), passengers: 9))
            }
            let contenders = sessions.flatMap { session in session.passengers.map { (session.token, $0) } }.prefix(100)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for (token, passenger) in contenders {
                    group.addTask { try await api.hold("14C", for: passenger, token: token).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 100)
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 99)
        }
    }

    @Test(arguments: StoreKind.available)
    func ownershipRules(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight("SH100")
            try await api.createFlight("SH200")
            let mine = try await api.bookedPassenger("MINE01")
            let theirs = try await api.bookedPassenger("THEM01")
            let elsewhere = try await api.bookedPassenger("ELSE01", flight: "SH200")
            try await api.hold("1A", for: mine.passengers[0], token: "").expectProblem(.unauthorized)
            try await api.request(.post, "/flights/SH100/seats/1A/hold", json: ["passengerId": mine.passengers[0]])
                .expectProblem(.unauthorized, "not-signed-in")
            try await api.hold("1A", for: theirs.passengers[0], token: mine.token).expectProblem(.forbidden, "not-your-booking")
            try await api.hold("1A", for: elsewhere.passengers[0], token: elsewhere.token)
                .expectProblem(.forbidden, "not-on-this-flight")
            let held = try await api.hold("1A", for: mine.passengers[0], token: mine.token)
            let holdID = try #require(try held.string("holdId"))
            try await api.request(.get, "/holds/\(holdID)", token: theirs.token).expectProblem(.forbidden, "not-your-booking")
            try await api.request(.post, "/holds/\(holdID)/cancel", token: theirs.token).expectProblem(.forbidden)
            try await api.request(.post, "/holds/\(holdID)/confirm", token: theirs.token).expectProblem(.forbidden)
            try await api.request(.post, "/admin/flights", json: [:], token: mine.token).expectProblem(.forbidden, "admin-only")
            try await api.request(.get, "/holds/\(holdID)", token: "sh_not-a-token").expectProblem(.unauthorized, "invalid-token")
            try await api.request(.post, "/sessions", json: ["bookingReference": "MINE01", "lastName": "Wrong"])
                .expectProblem(.unauthorized, "sign-in-failed")
            try await api.request(.post, "/sessions", json: ["bookingReference": "NOPE99", "lastName": "Name0"])
                .expectProblem(.unauthorized, "sign-in-failed")
        }
    }
}
