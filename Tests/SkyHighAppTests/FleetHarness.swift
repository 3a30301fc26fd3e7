import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// `skyhigh serve` processes, the binary these tests were built with, on one fresh PostgreSQL
/// database and (unless told otherwise) one redis-server of the test's own, all on 127.0.0.1:
/// what a fleet behind a load balancer is, with the test as the balancer.
struct Fleet: Sendable {
    static let adminToken = "fleet-admin-token-0123456789"

    struct Instance: Sendable {
        let port: Int
        let process: ChildProcess
        let log: String

        /// What the process has logged so far.
        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// One request on a connection of its own; `from` names the client in `X-Forwarded-For`.
        func request(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, from address: String? = nil,
                     json: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
            var headers = extra
            if let token { headers[.authorization] = "Bearer \(token)" }
            if let address { headers[HTTPField.Name("X-Forwarded-For")!] = address }
            if json != nil { headers[.contentType] = "application/json" }
            let request = TestClient.Request(path, method: method, authority: "127.0.0.1", headers: headers,
                                             body: json.map { ByteBuffer(string: $0) })
            let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                try await client.execute(request)
            }
            return Reply(status: response.status, headers: response.headers,
                         body: response.body.map { String(buffer: $0) } ?? "")
        }

        /// The value of one sample of its `/metrics`, 0 when it is not there.
        func metric(_ sample: String, token: String) async throws -> Double {
            let text = try await request(.get, "/metrics", token: token).body
            let line = text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
    }

    private(set) var instances: [Instance]
    let redis: RedisServerProcess?
    /// The database, for set-up that would be slow through the API.
    let store: SQLStore

    /// The built `skyhigh` executable beside the test bundle, if there is one.
    static var binary: String? { SkyHighExecutable.path }

    /// Whether the fleet tests can run here: PostgreSQL for tests, redis-server and the binary.
    static var isAvailable: Bool { TestPostgres.maintenanceURL != nil && RedisServerProcess.isInstalled && binary != nil }

    /// Runs `count` instances with `settings` (and `perInstance[i]` for instance i) while `body`
    /// runs, then stops them with SIGTERM.
    static func run(_ count: Int = 3, redis withRedis: Bool = true, settings: [String: String] = [:],
                    perInstance: [Int: [String: String]] = [:],
                    _ body: @escaping @Sendable (Fleet) async throws -> Void) async throws {
        let binary = try #require(binary, "the skyhigh executable was not built beside the tests")
        try await TestPostgres.withDatabaseURL { backend, url in
            let redis = withRedis ? try await RedisServerProcess.start() : nil
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skyhigh-fleet-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var fleet = Fleet(instances: [], redis: redis, store: SQLStore(database: backend))
            let outcome: Result<Void, any Error>
            do {
                var shared = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SKYHIGH_") }
                shared.merge([
                    "SKYHIGH_DATABASE_URL": url, "SKYHIGH_ADMIN_TOKEN": adminToken,
                    "SKYHIGH_WEBHOOK_SECRET": "fleet-webhook-secret-0123456789", "SKYHIGH_HOST": "127.0.0.1",
                    // The test names its clients in X-Forwarded-For.
                    "SKYHIGH_TRUSTED_PROXIES": "127.0.0.1", "SKYHIGH_DATABASE_POOL_SIZE": "8",
                    "SKYHIGH_SERVER_THREADS": "1", "SKYHIGH_WORKER_CONCURRENCY": "1",
                    // Generous limits, so that a loaded machine (the rest of the suite runs beside
                    // the fleet) is not taken for Redis or the store being away; tests of those
                    // outages set their own.
                    "SKYHIGH_REDIS_TIMEOUT_MS": "3000", "SKYHIGH_STORE_TIMEOUT_SECONDS": "10",
                ]) { $1 }
                if let redis { shared["SKYHIGH_REDIS_URL"] = redis.url }
                shared.merge(settings) { $1 }
                let common = shared
                let launch = { @Sendable (index: Int, attempt: Int) async throws -> Instance in
                    let port = try await freeTestPort()
                    var environment = common.merging(perInstance[index] ?? [:]) { $1 }
                    environment["SKYHIGH_PORT"] = "\(port)"
                    let log = folder.appendingPathComponent("instance-\(index)-\(attempt).log").path
                    let process = try ChildProcess(binary, ["serve"], environment: environment, log: log)
                    return Instance(port: port, process: process, log: log)
                }
                for index in 0..<count { fleet.instances.append(try await launch(index, 0)) }
                for index in 0..<count {
                    // A free port may be taken by another test between its release and the
                    // instance's bind: that instance starts again on another.
                    var ready = try await fleet.waitUntilReady(index)
                    var attempt = 0
                    while !ready, attempt < 3, fleet.instances[index].logText.contains("Address already in use") {
                        attempt += 1
                        fleet.instances[index] = try await launch(index, attempt)
                        ready = try await fleet.waitUntilReady(index)
                    }
                    try #require(ready, "instance \(index) did not become ready: \(fleet.instances[index].logText.suffix(2000))")
                }
                outcome = .success(try await body(fleet))
            } catch {
                outcome = .failure(error)
            }
            if case .failure = outcome {
                for (index, instance) in fleet.instances.enumerated() {
                    let text = instance.logText
                    // A crash report ends in pages of registers and images: its first lines say why.
                    if let crash = text.range(of: "Program crashed") {
                        let from = text.index(crash.lowerBound, offsetBy: -1500, limitedBy: text.startIndex) ?? text.startIndex
                        print("--- instance \(index) (port \(instance.port)) crashed ---\n\(text[from...].prefix(5000))")
                    }
                    print("--- instance \(index) (port \(instance.port)) log tail ---\n\(text.suffix(3000))")
                }
            }
            for instance in fleet.instances { await instance.process.stop() }
            await redis?.stop()
            try? FileManager.default.removeItem(at: folder)
            try outcome.get()
        }
    }

    /// Whether instance `index` answers ready within 90 s (`false` at once if it exits).
    private func waitUntilReady(_ index: Int) async throws -> Bool {
        let ready = await waitUntil(within: .seconds(90)) {
            guard instances[index].process.isRunning else { return true }
            return (try? await request(index, .get, "/health/ready").status) == .ok
        }
        return ready && instances[index].process.isRunning
    }

    // MARK: Requests

    struct Reply: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: String

        func object() -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }

        /// The problem type's last part (`client-blocked`), if this is a problem.
        var problem: String? { (object()["type"] as? String)?.components(separatedBy: "/").last }
    }

    /// One request to instance `index` on a connection of its own; `from` names the client in
    /// `X-Forwarded-For`.
    func request(_ index: Int, _ method: HTTPRequest.Method, _ path: String, token: String? = nil,
                 from address: String? = nil, json: String? = nil) async throws -> Reply {
        try await instances[index].request(method, path, token: token, from: address, json: json)
    }

    /// The value of one sample of instance `index`'s `/metrics`, 0 when it is not there.
    func metric(_ index: Int, _ sample: String) async throws -> Double {
        try await instances[index].metric(sample, token: Self.adminToken)
    }

    /// Waits until every instance has finished `rounds` more exchanges with Redis than now, so
    /// that each has told the fleet what it did before and heard what the others did.
    func exchangeRounds(_ rounds: Int = 2) async throws {
        let sample = #"skyhigh_guard_redis_exchanges_total{outcome="ok"}"#
        for index in instances.indices {
            let start = try await metric(index, sample)
            let done = try await waitUntil { try await metric(index, sample) >= start + Double(rounds) }
            try #require(done, "instance \(index) made no exchange with Redis for 10 s")
        }
    }

    // MARK: Set-up

    /// Flights `F00`...`F(count-1)`, departing tomorrow, written straight to the store.
    func flights(_ count: Int) async throws {
        let seats = try AircraftLayout.builtIn["A320"]!.seats()
        for index in 0..<count {
            let flight = Flight(id: FlightID(String(format: "F%02d", index))!, flightNumber: "SH1", origin: "LHR",
                                destination: "JFK", departureTime: Date() + 86_400, aircraftType: "A320")
            _ = try await store.createFlight(flight, seats: seats, at: Date())
        }
    }

    /// A booking on `F00` with one passenger, signed in through instance `index` (from an address
    /// of its own): the token.
    func signedIn(_ reference: String, through index: Int = 0) async throws -> String {
        let created = try await request(index, .post, "/admin/bookings", token: Self.adminToken, json: """
            {"bookingReference":"\(reference)","flightId":"F00","passengers":[{"firstName":"A","lastName":"Flyer"}]}
            """)
        try #require(created.status == .created, "\(created.body)")
        let session = try await request(index, .post, "/sessions", from: "192.0.2.\(Int.random(in: 1...250))",
                                        json: #"{"bookingReference":"\#(reference)","lastName":"Flyer"}"#)
        return try #require(session.object()["token"] as? String, "\(session.body)")
    }
}
