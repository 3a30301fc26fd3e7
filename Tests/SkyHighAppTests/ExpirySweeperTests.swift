import Foundation
import Logging
import ServiceLifecycle
import SkyHighApp
import SkyHighCore
import SkyHighTestSupport
import Testing

@Suite struct ExpirySweeperTests {
    @Test(arguments: StoreKind.available)
    func sweepOnceExpiresWhatIsDueByTheInjectedClock(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(3)
            for (index, passenger) in passengers.enumerated() {
                _ = try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("\(index + 1)A")!,
                                              passengerID: passenger, at: fixtures.clock.now(), duration: 120)
            }
            let sweeper = ExpirySweeper(store: store, clock: fixtures.clock, logger: Logger(label: "test"), batchSize: 2)
            #expect(try await sweeper.sweepOnce() == 0)
            fixtures.clock.advance(by: 120)
            #expect(try await sweeper.sweepOnce() == 3)
            #expect(try await store.events(of: FlightID("SH100")!).filter { $0.kind == .hold(.expired) }.count == 3)
        }
    }

    /// The running service, on the real clock: a hold of one second is marked EXPIRED soon after
    /// its expiry, with the sweep woken by the hold rather than polling.
    @Test(arguments: StoreKind.available)
    func theServiceExpiresHoldsWithinASecondOfExpiry(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let clock = SystemClock()
            let fixtures = Fixtures(store: store)
            try await fixtures.flight(departsIn: 86_400 * 365 * 10)
            let passenger = try await fixtures.passengers(1)[0]
            let expiries = Observed<Date>()
            let sweeper = ExpirySweeper(store: store, clock: clock, logger: Logger(label: "test"),
                                        maximumIdle: .seconds(30)) { holds in
                if !holds.isEmpty { expiries.report(Date()) }
            }
            let group = ServiceGroup(configuration: .init(services: [sweeper], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let hold = try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("1A")!,
                                                     passengerID: passenger, at: clock.now(), duration: 1)
                sweeper.holdPlaced(hold)
                #expect(await expiries.wait(within: .seconds(30)) { !$0.isEmpty })
                let when = try #require(expiries.all.first)
                // The sweep's idle limit is 30 s here, so an expiry within a few seconds was woken
                // by the hold itself. The bound is generous so that a loaded machine cannot fail
                // it; the due time itself is exact (`sweepOnceExpiresWhatIsDueByTheInjectedClock`).
                let lag = when.timeIntervalSince(hold.expiresAt)
                #expect(lag >= 0 && lag < 10, "expired \(lag) s after expiresAt")
                #expect(try await store.hold(hold.id)?.state == .expired)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
