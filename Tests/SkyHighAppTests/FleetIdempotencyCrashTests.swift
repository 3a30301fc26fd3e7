import Foundation
import HTTPTypes
import SkyHighStore
import SkyHighTestSupport
import Testing

/// Atomic idempotency against a real crash: the process handling a keyed request is killed
/// (SIGKILL) after it claimed the key, while the Weight call is in flight, and the client's retry
/// goes to another instance. Were the claim committed on its own, the retry would find the key
/// taken by a request that will never finish; here the claim dies with the process.
@Suite(.enabled(if: Fleet.isAvailable || TestPostgres.required), .serialized)
struct FleetIdempotencyCrashTests {
    static let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "bags-after-a-crash-1"]

    @Test func aProcessKilledMidRequestNeverRunsTheEffectTwice() async throws {
        // The Weight service (the in-process mock) takes 3 s: long enough to kill the process
        // while the request's transaction, claim of the key included, is open.
        try await Fleet.run(2, redis: false, settings: ["SKYHIGH_MOCK_LATENCY_MS": "3000", "SKYHIGH_SERVICE_TIMEOUT_MS": "20000",
                                                            "SKYHIGH_SERVICE_RETRIES": "0"]) { fleet in
            try await fleet.flights(1)
            let created = try await fleet.request(0, .post, "/admin/bookings", token: Fleet.adminToken, json: """
                {"bookingReference":"CRASH1","flightId":"F00","passengers":[{"firstName":"A","lastName":"Flyer"}]}
                """)
            try #require(created.status == .created, "\(created.body)")
            let session = try await fleet.request(0, .post, "/sessions", json: #"{"bookingReference":"CRASH1","lastName":"Flyer"}"#)
            let token = try #require(session.object()["token"] as? String, "\(session.body)")
            let passenger = try #require((session.object()["passengers"] as? [[String: Any]])?.first?["passengerId"] as? String)
            let hold = try await fleet.request(0, .post, "/flights/F00/seats/12A/hold", token: token,
                                               json: #"{"passengerId":"\#(passenger)"}"#)
            let holdID = try #require(hold.object()["holdId"] as? String, "\(hold.body)")
            #expect(try await fleet.request(0, .post, "/holds/\(holdID)/confirm", token: token).status == .ok)
            let checkIn = try await fleet.request(0, .post, "/checkin", token: token,
                                                  json: #"{"flightId":"F00","passengerId":"\#(passenger)"}"#)
            let checkinID = try #require(checkIn.object()["checkinId"] as? String, "\(checkIn.body)")
            let bags = #"{"bags":[{"tag":"0125000001","declaredWeightKg":20}]}"#

            let doomed = fleet.instances[0]
            let inFlight = Task {
                try? await doomed.request(.post, "/checkin/\(checkinID)/baggage", token: token, json: bags, headers: Self.key)
            }
            let open = try await waitUntil(within: .seconds(30)) {
                try await Self.openTransactions(fleet.store) > 0
            }
            try #require(open, "the keyed request never opened its transaction")
            doomed.process.send(SIGKILL)
            _ = await inFlight.value

            // The retry, on the other instance, performs the effect once: the crash left nothing.
            let retry = try await fleet.instances[1].request(.post, "/checkin/\(checkinID)/baggage", token: token,
                                                             json: bags, headers: Self.key)
            #expect(retry.status == .ok, "\(retry.body)")
            #expect((retry.object()["bags"] as? [Any])?.count == 1)
            let again = try await fleet.instances[1].request(.post, "/checkin/\(checkinID)/baggage", token: token,
                                                             json: bags, headers: Self.key)
            #expect(again.body == retry.body, "a second retry replays the stored answer")
            let read = try await fleet.instances[1].request(.get, "/checkin/\(checkinID)", token: token)
            #expect((read.object()["bags"] as? [Any])?.count == 1, "one bag, whatever the crash: \(read.body)")
            let history = (read.object()["history"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(history.filter { $0 == "BAG_ADDED" }.count == 1)
        }
    }

    /// Transactions of this database that are open and waiting (the keyed request's, while the
    /// Weight service takes its time).
    static func openTransactions(_ store: SQLStore) async throws -> Int64 {
        try await store.database.run("""
            SELECT COUNT(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()
            """, []).first?.int("n") ?? 0
    }
}
