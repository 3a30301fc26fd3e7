import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import SkyHighAPI
import SkyHighCore
import SkyHighSQLite
import SkyHighTestSupport
import Testing
import Yams

@Suite struct OperationalAPITests {
    static var specificationURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("API-SPECIFICATION.yml")
    }

    /// The routes the server registers and the operations the specification documents are the same.
    @Test func theSpecificationAndTheRoutesAgree() async throws {
        let document = try #require(try Yams.load(yaml: String(contentsOf: Self.specificationURL, encoding: .utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        let methods = ["get", "post", "put", "patch", "delete"]
        var documented = Set<String>()
        for (path, item) in paths {
            for method in methods where (item as? [String: Any])?[method] != nil {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let operations = documented
        try await withStore(.sqlite) { store in
            let env = APIEnvironment(store: store, clock: ManualClock(), holdDuration: 120, adminToken: "x")
            let routed = Set(makeRouteTable(env).operations.map { "\($0.method) \($0.path)" })
            #expect(routed.subtracting(operations).isEmpty, "routes missing from the specification")
            #expect(operations.subtracting(routed).isEmpty, "documented operations that are not routed")
        }
    }

    /// The generated operations that ask for no token are the ones the specification leaves open.
    @Test func theGeneratedOperationsAskForATokenAsTheSpecificationSays() throws {
        let document = try #require(try Yams.load(yaml: String(contentsOf: Self.specificationURL, encoding: .utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var open = Set<String>()
        for (path, item) in paths {
            for (method, operation) in item {
                if let operation = operation as? [String: Any], (operation["security"] as? [Any])?.isEmpty == true {
                    open.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        #expect(GeneratedOperations.withoutToken.isSubset(of: open), "\(GeneratedOperations.withoutToken.subtracting(open))")
    }

    /// Every documented operation lists its error answers as problems.
    @Test func everyOperationDocumentsItsErrors() throws {
        let document = try #require(try Yams.load(yaml: String(contentsOf: Self.specificationURL, encoding: .utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            for (method, operation) in item {
                guard let operation = operation as? [String: Any], let responses = operation["responses"] as? [String: Any] else { continue }
                #expect(responses.keys.contains { $0.hasPrefix("2") || $0 == "304" }, "\(method) \(path)")
                if operation["requestBody"] != nil {
                    #expect(responses.keys.contains("400"), "\(method) \(path) documents no 400")
                    #expect(responses.keys.contains("413"), "\(method) \(path) documents no 413")
                }
                if (operation["security"] as? [Any])?.isEmpty == false {
                    #expect(responses.keys.contains("401"), "\(method) \(path) documents no 401")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func healthAndTheServedSpecification(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            #expect(try await api.request(.get, "/health/live").string("status") == "ok")
            #expect(try await api.request(.get, "/health/ready").string("status") == "ready")
            let spec = try await api.request(.get, "/openapi.yaml")
            #expect(spec.status == .ok)
            #expect(spec.headers[.contentType] == "application/yaml")
            #expect(spec.body == (try Data(contentsOf: Self.specificationURL)))
        }
    }

    /// A real socket round trip: the same walk-through over HTTP/1.1 on 127.0.0.1.
    @Test func liveHTTPRoundTrip() async throws {
        try await APIHarness.run(.sqlite, mode: .live) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let held = try await api.hold("3C", for: session.passengers[0], token: session.token)
            #expect(held.status == .created)
            let holdID = try #require(try held.string("holdId"))
            #expect(try await api.request(.post, "/holds/\(holdID)/confirm", token: session.token).status == .ok)
            try await api.request(.post, "/sessions", raw: "not json").expectProblem(.badRequest)
        }
    }

    @Test(arguments: StoreKind.available)
    func theEventHistoryIsListedForAdmins(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let held = try await api.hold("3C", for: session.passengers[0], token: session.token)
            let holdID = try #require(try held.string("holdId"))
            _ = try await api.request(.post, "/holds/\(holdID)/cancel", token: session.token)
            try await api.request(.get, "/admin/flights/SH100/events", token: session.token).expectProblem(.forbidden)
            let events = try await api.request(.get, "/admin/flights/SH100/events", token: APIHarness.adminToken)
            let list = try #require(try events.object()["events"] as? [[String: Any]])
            #expect(list.map { $0["kind"] as? String } == ["HOLD_PLACED", "HOLD_CANCELLED"])
            #expect(list.map { $0["toState"] as? String } == ["HELD", "CANCELLED"])
            #expect(list.allSatisfy { $0["holdId"] as? String == holdID && $0["seatId"] as? String == "3C" })
        }
    }

    @Test(arguments: StoreKind.available)
    func theJobsARequestEnqueuesCarryItsRequestId(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            let signedIn = try await api.bookedPassenger()
            let hold = try await api.hold("3C", for: signedIn.passengers[0], token: signedIn.token)
            let holdID = try #require(try hold.string("holdId"))
            let cancelled = try await api.request(.post, "/holds/\(holdID)/cancel", token: signedIn.token,
                                                  headers: [HTTPField.Name("X-Request-Id")!: "cancel-7"])
            #expect(cancelled.headers[HTTPField.Name("X-Request-Id")!] == "cancel-7")
            let rows = try await api.store.database.run("SELECT request_id FROM jobs WHERE kind = 'waitlist.offer-seat'", [])
            #expect(try rows.map { try $0.optionalString("request_id") } == ["cancel-7"])
        }
    }

    @Test func readinessIsA503WhileTheStoreIsUnreachable() async throws {
        try await APIHarness.run(.sqlite) { api in
            #expect(try await api.request(.get, "/health/ready").status == .ok)
            let database = try #require(api.store.database as? EmbeddedDatabase)
            try await database.close()
            try await api.request(.get, "/health/ready").expectProblem(.serviceUnavailable, "store-unavailable")
            #expect(try await api.request(.get, "/health/live").status == .ok)
        }
    }
}
