import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SkyHighAPI
import SkyHighApp
import SkyHighCore
import SkyHighPostgres
import SkyHighStore
import SkyHighTestSupport
import Testing

/// An in-process API on a fresh store, with a clock the test moves.
struct APIHarness: Sendable {
    static let adminToken = "admin-token-for-tests"
    static let webhookSecret = "webhook-secret-for-tests"
    let client: any TestClientProtocol
    let store: SQLStore
    let clock: ManualClock
    /// The live seat changes the SSE streams follow.
    let seatChanges: SeatChangeHub
    /// The shipped in-process mocks; their behaviours are the tests' fault switches.
    let weights: MockWeightService
    let payments: MockPaymentService
    let weightFaults: MockBehaviour
    let paymentFaults: MockBehaviour

    /// Every client of these tests comes from 127.0.0.1, and a stream closed by one test is
    /// given back a moment later, when the server notices: the per-client limit is high unless
    /// a test is about it.
    static let streamLimits = StreamLimits(perClient: 100)

    /// Runs `body` against the router in-process (`.router`) or over a real socket (`.live`).
    static func run(_ kind: StoreKind, mode: TestingSetup = .router, holdSeconds: TimeInterval = 120,
                    abuseGuard: AbuseGuard? = nil, liveEvents: LiveEventSettings = LiveEventSettings(),
                    connections: ConnectionSettings = ConnectionSettings(),
                    streamLimits: StreamLimits = Self.streamLimits, changeWindow: Int = 1024,
                    webhookRate: Double = 100, storeDeadlines: (each: Duration, unit: Duration)? = nil,
                    beforeIntent: (@Sendable (SQLStore, PaymentIntentRequest) async throws -> Void)? = nil,
                    _ body: @escaping @Sendable (APIHarness) async throws -> Void) async throws {
        try await withStore(kind) { store in
            // Store deadlines, as production has: on PostgreSQL, the only store that has them.
            let store = (store.database as? PostgresBackend).flatMap { backend in
                storeDeadlines.map {
                    SQLStore(database: PostgresBackend(client: backend.client, deadline: $0.each, unitDeadline: $0.unit))
                }
            } ?? store
            let clock = ManualClock(Date().truncatedToMilliseconds)
            let (weightFaults, paymentFaults) = (MockBehaviour(), MockBehaviour())
            let weights = MockWeightService(behaviour: weightFaults)
            let payments = MockPaymentService(behaviour: paymentFaults, webhookSecret: webhookSecret, clock: clock) { _, _ in
                throw NoWebhookReceiver()
            }
            var env = APIEnvironment(store: store, clock: clock, holdDuration: holdSeconds, adminToken: adminToken,
                                     abuseGuard: abuseGuard, seatChanges: SeatChangeHub(store: store, windowSize: changeWindow),
                                     weights: weights,
                                     payments: beforeIntent.map { HookedPayments(store: store, payments: payments, hook: $0) }
                                        ?? payments,
                                     webhookSecret: webhookSecret)
            env.liveEvents = liveEvents
            env.webhookBudget = WebhookBudget(ratePerSecond: webhookRate)
            env.streamLimits = streamLimits
            let seatChanges = env.seatChanges
            let app = Application(router: buildRouter(env), server: skyHighServer(env, serverName: nil, connections: connections),
                                  configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(mode) { client in
                try await body(APIHarness(client: client, store: store, clock: clock, seatChanges: seatChanges,
                                          weights: weights, payments: payments,
                                          weightFaults: weightFaults, paymentFaults: paymentFaults))
            }
        }
    }

    // MARK: Requests

    @discardableResult
    func request(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, raw: String? = nil,
                 token: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
            fields[.contentType] = "application/json"
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        let response = try await client.executeRequest(uri: path, method: method, headers: fields, body: body)
        return Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
    }

    // MARK: Set-up through the API itself

    struct SignedIn {
        let token: String
        let passengers: [String]
    }

    func createFlight(_ id: String = "SH100", type: String = "A320", departsIn: TimeInterval = 3 * 86_400) async throws {
        let reply = try await request(.post, "/admin/flights", json: [
            "flightId": id, "flightNumber": "SH100", "origin": "LHR", "destination": "JFK",
            "departureTime": Date.ISO8601FormatStyle().format(clock.now() + departsIn), "aircraftType": type,
        ], token: Self.adminToken)
        #expect(reply.status == .created, "\(reply.text)")
    }

    func createBooking(_ reference: String, flight: String = "SH100", lastNames: [String]) async throws {
        let reply = try await request(.post, "/admin/bookings", json: [
            "bookingReference": reference, "flightId": flight,
            "passengers": lastNames.map { ["firstName": "Test", "lastName": $0] },
        ], token: Self.adminToken)
        #expect(reply.status == .created, "\(reply.text)")
    }

    func signIn(_ reference: String, _ lastName: String) async throws -> SignedIn {
        let reply = try await request(.post, "/sessions", json: ["bookingReference": reference, "lastName": lastName])
        #expect(reply.status == .created, "\(reply.text)")
        let object = try reply.object()
        let passengers = (object["passengers"] as? [[String: Any]] ?? []).compactMap { $0["passengerId"] as? String }
        return SignedIn(token: object["token"] as? String ?? "", passengers: passengers)
    }

    /// A flight SH100 with one signed-in booking of `passengers` passengers.
    func bookedPassenger(_ reference: String = "ABC123", passengers: Int = 1, flight: String = "SH100") async throws -> SignedIn {
        try await createBooking(reference, flight: flight, lastNames: (0..<passengers).map { "Name\($0)" })
        return try await signIn(reference, "Name0")
    }

    func hold(_ seat: String, for passenger: String, token: String, flight: String = "SH100") async throws -> Reply {
        try await request(.post, "/flights/\(flight)/seats/\(seat)/hold", json: ["passengerId": passenger], token: token)
    }
}

/// The shipped Payment mock, with something the test does just before each intent is created
/// (a concurrent change, say, so that the change the intent was for does not commit).
struct HookedPayments: PaymentService {
    let store: SQLStore
    let payments: MockPaymentService
    let hook: @Sendable (SQLStore, PaymentIntentRequest) async throws -> Void

    func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        try await hook(store, request)
        return try await payments.createIntent(request)
    }

    func intent(_ id: String) async throws -> PaymentIntent? { try await payments.intent(id) }
}

/// These tests sign webhooks themselves; nothing here may ask the mock to deliver one.
struct NoWebhookReceiver: Error {}

struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text)")
    }

    func string(_ key: String) throws -> String? { try object()[key] as? String }

    /// Asserts an RFC 9457 problem of the given status and type suffix.
    func expectProblem(_ status: HTTPResponse.Status, _ kind: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(self.status == status, "\(text)", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let object = try object()
        #expect(object["status"] as? Int == status.code, sourceLocation: sourceLocation)
        #expect((object["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        if let kind {
            #expect(object["type"] as? String == "https://skyhigh.dev/problems/\(kind)", "\(text)",
                    sourceLocation: sourceLocation)
        }
    }
}
