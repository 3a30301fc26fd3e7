import Foundation
import Logging
import ServiceLifecycle
import SkyHighAPI
@testable import SkyHighApp
import SkyHighCore
import SkyHighPostgres
import SkyHighStore
import SkyHighTestSupport
import Testing

/// A block made through one instance applies on another sharing the PostgreSQL store, and so
/// does lifting it, within a second (LISTEN/NOTIFY, not the periodic reload).
@Suite struct BlockPropagationTests {
    @Test(.enabled(if: TestPostgres.maintenanceURL != nil))
    func blocksAndUnblocksReachEveryInstance() async throws {
        try await TestPostgres.withDatabase { database in
            let store = SQLStore(database: database)
            let clock = SystemClock()
            let logger = Logger(label: "test")
            let guardians = [AbuseGuard(policy: AbusePolicy()), AbuseGuard(policy: AbusePolicy())]
            var services: [any Service] = []
            let reloads = Observed<Int>()
            for guardian in guardians {
                let wake = WakeSignal()
                services.append(PostgresListener(client: database.client, channel: .blocks, logger: logger) { _ in wake.signal() })
                services.append(BlockSync(store: store, guardian: guardian, clock: clock, logger: logger, wake: wake,
                                          started: .open, maximumIdle: .seconds(60), reloaded: { reloads.report(1) }))
            }
            let group = ServiceGroup(configuration: .init(services: services, logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let key = "ip:198.51.100.77"
                func blocked(_ guardian: AbuseGuard) -> Bool {
                    if case .blocked = guardian.check(clientKey: key, address: "198.51.100.77", byAddress: true,
                                                      seatMap: nil, at: clock.now()) { return true }
                    return false
                }
                // Listening first: the first notification after start proves the listeners are up.
                try await eventually(reloads) { guardians.allSatisfy { !blocked($0) } }
                let now = clock.now()
                try await store.recordIncident(Incident(id: UUID(), clientKey: key, rule: "seatmap-scan", firstAt: now,
                                                        lastAt: now, evidence: "{}", blockedUntil: now + 300))
                let started = ContinuousClock.now
                try await eventually(reloads) { guardians.allSatisfy(blocked) }
                // Woken by the signal, not by the 60 s reload: generous, so a loaded machine cannot fail it.
                #expect(ContinuousClock.now - started < .seconds(10))
                _ = try await store.liftBlock(key, at: clock.now())
                try await eventually(reloads) { guardians.allSatisfy { !blocked($0) } }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// Waits, at most ten seconds, until `condition` holds; rechecked after every block reload.
    private func eventually(_ reloads: Observed<Int>, _ condition: @escaping () -> Bool) async throws {
        let met = await reloads.wait(within: .seconds(10)) { _ in condition() }
        if !met { Issue.record("condition not met within 10 s") }
    }
}
