import Foundation
import Logging
import NIOCore
import NIOPosix
import SkyHighApp
import SkyHighCore
import SkyHighPostgres
import SkyHighStore
import SkyHighTestSupport
import Testing

/// The store away: a database that does not answer, or answers only reads, costs a request its
/// deadline and a 503, never a hang.
@Suite struct StoreAwayTests {
    /// A server that accepts connections and never says a word: a database host that froze, or
    /// a route that drops every packet after the handshake.
    static func withSilentServer<T>(_ body: (Int) async throws -> T) async throws -> T {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { _ in group.any().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        return try await body(try #require(channel.localAddress?.port))
    }

    @Test func aDatabaseThatDoesNotAnswerCostsTheDeadlineAndA503() async throws {
        try await Self.withSilentServer { port in
            var config = Configuration()
            config.database = .postgres(url: "postgres://skyhigh@127.0.0.1:\(port)/skyhigh")
            config.storeTimeoutSeconds = 0.5
            let opened = try await StoreFactory.open(config, clock: ManualClock(), logger: Logger(label: "test"), listen: false)
            try await withThrowingTaskGroup(of: Void.self) { services in
                for service in opened.services { services.addImmediateTask { try await service.run() } }
                let started = ContinuousClock.now
                await #expect(throws: StoreUnavailableError.self) { try await opened.store.ping() }
                await #expect(throws: StoreUnavailableError.self) {
                    _ = try await opened.store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("1A")!,
                                                         passengerID: UUID(), at: Date(), duration: 120)
                }
                // Two calls of 0.5 s each; generous, so a loaded machine cannot fail it, and far
                // below postgres-nio's own 60 s.
                #expect(ContinuousClock.now - started < .seconds(15))
                services.cancelAll()
            }
        }
    }

    @Test func aReadOnlyDatabaseIsNotReadyAndRefusesWritesAsUnavailable() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        try await TestPostgres.withDatabaseURL { backend, url in
            let store = SQLStore(database: backend)
            try await Fixtures(store: store).flight()
            let passenger = try await Fixtures(store: store).passengers(1)[0]
            let name = try #require(URL(string: url)?.lastPathComponent)
            try await backend.run("ALTER DATABASE \(name) SET default_transaction_read_only = on", [])
            try await TestPostgres.withClient(url: url) { client in
                let readOnly = SQLStore(database: PostgresBackend(client: client, deadline: .seconds(5)))
                await #expect(throws: StoreUnavailableError.self) { try await readOnly.ping() }
                await #expect(throws: StoreUnavailableError.self) {
                    _ = try await readOnly.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("1A")!,
                                                     passengerID: passenger, at: Date(), duration: 120)
                }
                let map = try await readOnly.seatMap(FlightID("SH100")!, at: Date())
                #expect(map != nil)
            }
        }
    }

    @Test func thePoolRunsBeforeAnythingAsksItForAConnection() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        try await TestPostgres.withDatabaseURL { _, url in
            let log = RecordedLog()
            var config = Configuration()
            config.database = .postgres(url: url)
            let opened = try await StoreFactory.open(config, clock: ManualClock(), logger: log.logger())
            try await withThrowingTaskGroup(of: Void.self) { services in
                // As a service group starts them: plain tasks, in no particular order.
                for service in opened.services { services.addTask { try await service.run() } }
                _ = try await opened.migrate()
                try await opened.store.ping()
                services.cancelAll()
            }
            let early = log.entries.filter { $0.message.contains("hasn't been called yet") }
            #expect(early.isEmpty, "\(early.count) connections were asked for before the pool ran")
        }
    }
}
