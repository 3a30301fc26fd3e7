import Foundation
import HTTPTypes
import SkyHighCore
import SkyHighTestSupport
import Testing

@Suite struct WaitlistAPITests {
    @Test(arguments: StoreKind.available)
    func joinReadAndLeave(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger("ABC123", passengers: 2)
            // Nothing free in BUSINESS: the first business seat is taken by the other passenger.
            for seat in ["1A", "1C", "1D", "1F", "2A", "2C", "2D", "2F", "3A", "3C", "3D", "3F"] {
                let other = try await api.bookedPassenger("B\(seat.count == 2 ? "0" : "")\(seat)XX".prefix(6).description)
                let held = try await api.hold(seat, for: other.passengers[0], token: other.token)
                let holdID = try #require(try held.string("holdId"))
                _ = try await api.request(.post, "/holds/\(holdID)/confirm", token: other.token)
            }
            let joined = try await api.request(.post, "/flights/SH100/waitlist", json: [
                "passengerId": session.passengers[0], "preferences": ["cabin": "BUSINESS", "seatType": "WINDOW"],
            ], token: session.token)
            #expect(joined.status == .created, "\(joined.text)")
            let entry = try joined.object()
            let id = try #require(entry["waitlistId"] as? String)
            #expect(entry["state"] as? String == "WAITING")
            #expect(entry["position"] as? Int == 1)
            #expect(joined.headers[.location] == "/waitlist/\(id)")
            #expect((entry["preferences"] as? [String: Any])?["seatType"] as? String == "WINDOW")
            try await api.request(.post, "/flights/SH100/waitlist", json: ["passengerId": session.passengers[0]],
                                  token: session.token).expectProblem(.conflict, "already-waiting")
            let second = try await api.request(.post, "/flights/SH100/waitlist", json: ["passengerId": session.passengers[1],
                                                                                          "preferences": ["cabin": "BUSINESS"]],
                                               token: session.token)
            #expect(try second.object()["position"] as? Int == 2)
            #expect(try await api.request(.get, "/waitlist/\(id)", token: session.token).object()["position"] as? Int == 1)
            let stranger = try await api.bookedPassenger("ZZZ999")
            try await api.request(.get, "/waitlist/\(id)", token: stranger.token).expectProblem(.forbidden, "not-your-booking")
            try await api.request(.delete, "/waitlist/\(id)", token: stranger.token).expectProblem(.forbidden)
            let left = try await api.request(.delete, "/waitlist/\(id)", token: session.token)
            #expect(try left.string("state") == "CANCELLED")
            try await api.request(.delete, "/waitlist/\(id)", token: session.token).expectProblem(.conflict, "waitlist-entry-not-waiting")
            let secondID = try #require(try second.string("waitlistId"))
            #expect(try await api.request(.get, "/waitlist/\(secondID)", token: session.token).object()["position"] as? Int == 1)
            try await api.request(.get, "/waitlist/\(UUID().uuidString)", token: session.token)
                .expectProblem(.notFound, "waitlist-entry-not-found")
        }
    }

    @Test(arguments: StoreKind.available)
    func joiningWhileASeatIsFreeAssignsItAtOnce(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let joined = try await api.request(.post, "/flights/SH100/waitlist", json: [
                "passengerId": session.passengers[0], "preferences": ["seats": ["7A", "7F"]],
            ], token: session.token)
            #expect(joined.status == .created)
            let entry = try joined.object()
            #expect(entry["state"] as? String == "ASSIGNED")
            #expect(entry["seatId"] as? String == "7A")
            #expect(entry["position"] == nil)
            let holdID = try #require(entry["holdId"] as? String)
            #expect(try await api.request(.get, "/holds/\(holdID)", token: session.token).string("state") == "CONFIRMED")
        }
    }

    @Test(arguments: StoreKind.available)
    func badWaitlistRequests(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let path = "/flights/SH100/waitlist"
            try await api.request(.post, path, json: ["passengerId": session.passengers[0], "preferences": ["cabin": "FIRST"]],
                                  token: session.token).expectProblem(.unprocessableContent, "validation-failed")
            try await api.request(.post, path, json: ["passengerId": session.passengers[0], "preferences": ["seats": ["99Z"]]],
                                  token: session.token).expectProblem(.unprocessableContent)
            try await api.request(.post, path, json: ["passengerId": session.passengers[0], "preferences": ["seatType": "MIDDLE"]],
                                  token: session.token).expectProblem(.badRequest)
            try await api.request(.post, path, json: ["passengerId": session.passengers[0]]).expectProblem(.unauthorized)
            try await api.request(.post, "/flights/NOPE/waitlist", json: ["passengerId": session.passengers[0]],
                                  token: session.token).expectProblem(.notFound)
            #expect(try await api.store.events(of: FlightID("SH100")!).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func adminsSeeJobsAndRetryDeadOnes(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let job = try await api.store.enqueue(NewJob(kind: "broken", payload: "{}", maxAttempts: 1), requestID: nil,
                                                  at: api.clock.now())
            _ = try await api.store.claimJobs(worker: "w", at: api.clock.now(), lease: 30, limit: 10)
            _ = try await api.store.failJob(job.id, worker: "w", error: "it broke", retryAt: api.clock.now(), at: api.clock.now())
            let session = try await api.bookedPassenger()
            try await api.request(.get, "/admin/jobs", token: session.token).expectProblem(.forbidden)
            let anonymous = try await api.request(.post, "/admin/jobs/\(job.id.uuidString.lowercased())/retry")
            try anonymous.expectProblem(.unauthorized, "not-signed-in")
            #expect(try anonymous.string("detail") == "send Authorization: Bearer <admin token>")
            let overview = try await api.request(.get, "/admin/jobs", token: APIHarness.adminToken).object()
            let counts = try #require(overview["counts"] as? [String: Int])
            #expect(counts["dead"] == 1)
            #expect(Set(counts.keys) == ["queued", "running", "retrying", "succeeded", "dead"])
            let dead = try #require(overview["dead"] as? [[String: Any]])
            #expect(dead.first?["lastError"] as? String == "it broke")
            let retried = try await api.request(.post, "/admin/jobs/\(job.id.uuidString.lowercased())/retry",
                                                token: APIHarness.adminToken)
            #expect(try retried.string("state") == "QUEUED")
            try await api.request(.post, "/admin/jobs/\(job.id.uuidString.lowercased())/retry", token: APIHarness.adminToken)
                .expectProblem(.conflict, "job-not-dead")
            try await api.request(.post, "/admin/jobs/nope/retry", token: APIHarness.adminToken).expectProblem(.notFound)
        }
    }
}
