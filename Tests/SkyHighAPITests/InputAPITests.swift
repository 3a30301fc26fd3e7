import Foundation
import HTTPTypes
import SkyHighCore
import SkyHighTestSupport
import Testing

/// Bad input gets a clear 4xx problem and writes nothing.
@Suite struct InputAPITests {
    @Test(arguments: StoreKind.available)
    func malformedAndMistypedBodies(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let token = APIHarness.adminToken
            try await api.request(.post, "/admin/flights", raw: "{\"flightId\":", token: token).expectProblem(.badRequest, "malformed-request")
            try await api.request(.post, "/admin/flights", raw: "", token: token).expectProblem(.badRequest)
            try await api.request(.post, "/admin/flights", json: ["flightId": 5], token: token).expectProblem(.badRequest)
            try await api.request(.post, "/admin/flights", json: ["flightId": "SH9"], token: token).expectProblem(.badRequest)
            try await api.request(.post, "/admin/flights", json: [
                "flightId": "sh9", "flightNumber": "SH9", "origin": "LHR", "destination": "JFK",
                "departureTime": "2030-01-01T00:00:00Z", "aircraftType": "A320",
            ], token: token).expectProblem(.badRequest)
            try await api.request(.post, "/admin/flights", json: [
                "flightId": "SH9", "flightNumber": "SH9", "origin": "LHR", "destination": "JFK",
                "departureTime": "tomorrow", "aircraftType": "A320",
            ], token: token).expectProblem(.badRequest)
            try await api.request(.post, "/admin/flights", json: [
                "flightId": "SH9", "flightNumber": "SH9", "origin": "LHR", "destination": "JFK",
                "departureTime": "2030-01-01T00:00:00Z", "aircraftType": "A999",
            ], token: token).expectProblem(.unprocessableContent, "validation-failed")
            try await api.request(.post, "/admin/flights", json: [
                "flightId": "SH9", "flightNumber": "SH9", "origin": "LHR", "destination": "LHR",
                "departureTime": "2030-01-01T00:00:00Z", "aircraftType": "A320",
            ], token: token).expectProblem(.unprocessableContent)
            try await api.request(.post, "/admin/flights", json: [
                "flightId": "SH9", "flightNumber": "SH9", "origin": "LHR", "destination": "JFK",
                "departureTime": "2030-01-01T00:00:00Z",
                "layout": ["sections": [["cabin": "ECONOMY", "firstRow": 1, "lastRow": 2, "seats": "AA"]], "exitRows": []],
            ], token: token).expectProblem(.unprocessableContent)
            try await api.request(.get, "/flights/SH9").expectProblem(.notFound, "flight-not-found")
            try await api.request(.post, "/admin/bookings", json: [
                "bookingReference": "ZZZ999", "flightId": "SH100", "passengers": [],
            ], token: token).expectProblem(.unprocessableContent)
            try await api.request(.post, "/admin/bookings", json: [
                "bookingReference": "ZZZ999", "flightId": "SH404", "passengers": [["firstName": "A", "lastName": "B"]],
            ], token: token).expectProblem(.notFound, "flight-not-found")
            try await api.request(.post, "/flights/SH100/seats/12A/hold", json: ["passengerId": "nope"], token: session.token)
                .expectProblem(.badRequest)
            try await api.request(.post, "/flights/SH100/seats/12A/hold", json: ["passengerId": 12], token: session.token)
                .expectProblem(.badRequest)
            try await api.request(.post, "/flights/SH100/seats/12A/hold", json: ["passengerId": UUID().uuidString],
                                  token: session.token).expectProblem(.notFound, "passenger-not-found")
            try await api.hold("99Z", for: session.passengers[0], token: session.token).expectProblem(.notFound, "seat-not-found")
            try await api.hold("Z9", for: session.passengers[0], token: session.token).expectProblem(.notFound, "seat-not-found")
            try await api.hold("1A", for: session.passengers[0], token: session.token, flight: "NOPE")
                .expectProblem(.notFound, "flight-not-found")
            try await api.request(.get, "/holds/not-a-uuid", token: session.token).expectProblem(.notFound, "hold-not-found")
            try await api.request(.get, "/holds/\(UUID().uuidString)", token: session.token).expectProblem(.notFound, "hold-not-found")
            // Nothing of the above was written.
            #expect(try await api.store.flight(FlightID("SH9")!) == nil)
            #expect(try await api.store.booking(BookingReference("ZZZ999")!) == nil)
            #expect(try await api.store.events(of: FlightID("SH100")!).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func oversizedBodiesUnknownRoutesAndMethods(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            let huge = "{\"bookingReference\":\"" + String(repeating: "A", count: 1 << 20) + "\"}"
            try await api.request(.post, "/sessions", raw: huge).expectProblem(.contentTooLarge, "body-too-large")
            try await api.request(.post, "/sessions", raw: huge, headers: [.init("Idempotency-Key")!: "big"])
                .expectProblem(.contentTooLarge)
            try await api.request(.get, "/nowhere").expectProblem(.notFound, "route-not-found")
            let wrongMethod = try await api.request(.delete, "/flights/SH100/seatmap")
            try wrongMethod.expectProblem(.methodNotAllowed, "method-not-allowed")
            #expect(wrongMethod.headers[.allow] == "GET")
            #expect(try await api.request(.put, "/sessions").headers[.allow] == "POST")
        }
    }

    @Test(arguments: StoreKind.available)
    func idempotentRepeats(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let key: HTTPFields = [.init("Idempotency-Key")!: "hold-1"]
            let body = ["passengerId": session.passengers[0]]
            let first = try await api.request(.post, "/flights/SH100/seats/12A/hold", json: body, token: session.token, headers: key)
            #expect(first.status == .created)
            let again = try await api.request(.post, "/flights/SH100/seats/12A/hold", json: body, token: session.token, headers: key)
            #expect(again.status == .created)
            #expect(again.body == first.body)
            #expect(again.headers[.location] == first.headers[.location])
            #expect(again.headers[.init("Idempotency-Replayed")!] == "true")
            #expect(try await api.store.events(of: FlightID("SH100")!).count == 1)
            // Same key, other seat (other route): a separate request.
            let other = try await api.request(.post, "/flights/SH100/seats/12B/hold", json: body, token: session.token, headers: key)
            #expect(other.status == .created)
            // Same key and route, other body: refused.
            let otherPassenger = try await api.bookedPassenger("XYZ789")
            try await api.request(.post, "/flights/SH100/seats/12A/hold", json: ["passengerId": otherPassenger.passengers[0]],
                                  token: session.token, headers: key).expectProblem(.unprocessableContent, "idempotency-key-reused")
            // Errors are answers too: a repeated conflict replays the conflict.
            let conflictKey: HTTPFields = [.init("Idempotency-Key")!: "hold-2"]
            let conflict = try await api.request(.post, "/flights/SH100/seats/12B/hold", json: ["passengerId": otherPassenger.passengers[0]],
                                                 token: otherPassenger.token, headers: conflictKey)
            try conflict.expectProblem(.conflict, "seat-unavailable")
            let replayed = try await api.request(.post, "/flights/SH100/seats/12B/hold", json: ["passengerId": otherPassenger.passengers[0]],
                                                 token: otherPassenger.token, headers: conflictKey)
            #expect(replayed.body == conflict.body)
        }
    }
}
