import Foundation
import HTTPTypes
import SkyHighTestSupport
import Testing

/// A body the generated server cannot read is a 400 problem whose detail names the member and,
/// for a closed set of values, the values allowed; never the decoder's own wording.
@Suite struct DecodingProblemTests {
    @Test func aValueOutsideAnEnumNamesTheMemberAndTheAllowedValues() async throws {
        try await APIHarness.run(.sqlite) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let reply = try await api.request(.post, "/flights/SH100/waitlist", json: [
                "passengerId": session.passengers[0], "preferences": ["seatType": "MIDDLE"],
            ], token: session.token)
            try reply.expectProblem(.badRequest, "malformed-request")
            #expect(try reply.string("detail") == "preferences.seatType must be one of WINDOW, AISLE, ANY, not MIDDLE")
            let cabin = try await api.request(.post, "/flights/SH100/waitlist", json: [
                "passengerId": session.passengers[0], "preferences": ["cabin": "COACH"],
            ], token: session.token)
            #expect(try cabin.string("detail") == "preferences.cabin must be one of FIRST, BUSINESS, PREMIUM_ECONOMY, ECONOMY, not COACH")
        }
    }

    @Test func aMalformedUUIDIsNamed() async throws {
        try await APIHarness.run(.sqlite) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let reply = try await api.request(.post, "/flights/SH100/seats/12A/hold", json: ["passengerId": "nope"],
                                              token: session.token)
            try reply.expectProblem(.badRequest, "malformed-request")
            #expect(try reply.string("detail") == "passengerId must be a UUID, not \"nope\"")
        }
    }

    @Test func aMissingOrMistypedMemberIsNamed() async throws {
        try await APIHarness.run(.sqlite) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let missing = try await api.request(.post, "/flights/SH100/seats/12A/hold", json: [String: Any](), token: session.token)
            try missing.expectProblem(.badRequest, "malformed-request")
            #expect(try missing.string("detail") == "passengerId is required")
            let mistyped = try await api.request(.post, "/flights/SH100/waitlist", json: ["passengerId": 12], token: session.token)
            #expect(try mistyped.string("detail") == "passengerId must be a string")
            let empty = try await api.request(.post, "/flights/SH100/seats/12A/hold", token: session.token)
            try empty.expectProblem(.badRequest, "malformed-request")
            #expect(try empty.string("detail") == "a JSON body is required")
        }
    }

    /// Without a token a request is 401 whatever its body: the token is asked for first, as on
    /// the routes written by hand.
    @Test func noTokenIsAskedForBeforeTheBodyIsRead() async throws {
        try await APIHarness.run(.sqlite) { api in
            try await api.createFlight()
            for (path, body) in [("/flights/SH100/seats/12A/hold", "not json"), ("/flights/SH100/waitlist", "{\"passengerId\": 12}")] {
                try await api.request(.post, path, raw: body).expectProblem(.unauthorized, "not-signed-in")
            }
        }
    }

    /// As the routes written by hand always did, a body is read as JSON whatever type it
    /// declares, and the answer is JSON whatever the client accepts (never a 415, a 406, or an
    /// error after the hold was made).
    @Test func theBodyIsJSONAndSoIsTheAnswerWhateverTheHeadersSay() async throws {
        try await APIHarness.run(.sqlite) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger(passengers: 2)
            let body = "{\"passengerId\": \"\(session.passengers[0])\"}"
            let plain = try await api.request(.post, "/flights/SH100/seats/12A/hold", raw: body, token: session.token,
                                              headers: [.contentType: "text/plain", .accept: "text/html"])
            #expect(plain.status == .created, "\(plain.text)")
            #expect(try plain.string("seatId") == "12A")
            let form = try await api.request(.post, "/flights/SH100/seats/12B/hold",
                                             raw: "{\"passengerId\": \"\(session.passengers[1])\"}", token: session.token,
                                             headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == .created, "\(form.text)")
            let health = try await api.request(.get, "/health/live", headers: [.accept: "text/html"])
            #expect(health.status == .ok && health.headers[.contentType]?.hasPrefix("application/json") == true, "\(health.headers)")
        }
    }
}
