import Foundation
import Hummingbird
import Logging
import SkyHighApp
import SkyHighTestSupport
import Testing

/// A real HTTP server on 127.0.0.1 with a port the system picks, for tests of HTTP clients.
enum LocalServer {
    /// Runs the application `make` builds (handing it the callback that learns the bound port)
    /// while `body` runs with the server's base URL, then stops it.
    static func run<App: ApplicationProtocol>(
        _ make: (_ bound: @escaping @Sendable (Int) async -> Void) -> App,
        _ body: (URL) async throws -> Void
    ) async throws {
        let (ports, portBound) = AsyncStream.makeStream(of: Int.self)
        let app = make { portBound.yield($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portBound.finish() }
                try await app.runService(gracefulShutdownSignals: [])
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(try #require(URL(string: "http://127.0.0.1:\(port)")))
            group.cancelAll()
        }
    }

    /// The mock Weight and Payment services over HTTP.
    static func runMockServices(_ mocks: MockServices, _ body: (URL) async throws -> Void) async throws {
        try await run({ bound in
            buildMockServicesApplication(mocks, host: "127.0.0.1", port: 0, logger: Logger(label: "test"),
                                         onServerRunning: bound)
        }, body)
    }

    /// A webhook receiver at `/payments/webhook` that reports each body and signature it gets and
    /// answers 200.
    static func runWebhookReceiver(_ received: Observed<(body: Data, signature: String?)>,
                                   _ body: (URL) async throws -> Void) async throws {
        let router = Router()
        router.post("/payments/webhook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            received.report((Data(buffer: buffer), request.headers[.init("SkyHigh-Signature")!]))
            return Response(status: .ok)
        }
        try await run({ bound in
            Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                        onServerRunning: { await bound($0.localAddress?.port ?? 0) })
        }) { base in
            try await body(base.appendingPathComponent("payments/webhook"))
        }
    }
}
