import Foundation
import HTTPTypes
import SkyHighAPI
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

@Suite struct SeatMapLiveTests {
    /// The cached map changes by itself when a HELD hold lapses, with no sweep and no signal.
    @Test(arguments: StoreKind.available)
    func theCachedMapFollowsExpiryAndEveryChangeThroughTheAPI(kind: StoreKind) async throws {
        try await APIHarness.run(kind, mode: .live, holdSeconds: 3) { api in
            try await api.createFlight()
            let session = try await api.bookedPassenger()
            let first = try await api.request(.get, "/flights/SH100/seatmap")
            let held = try await api.hold("9C", for: session.passengers[0], token: session.token)
            #expect(held.status == .created)
            let afterHold = try await api.request(.get, "/flights/SH100/seatmap")
            #expect(afterHold.headers[.eTag] != first.headers[.eTag])
            #expect(afterHold.text.contains(#""seatId":"9C","state":"HELD""#))
            #expect(try await api.request(.get, "/flights/SH100/seatmap").headers[.eTag] == afterHold.headers[.eTag])
            api.clock.advance(by: 3)
            let lapsed = try await api.request(.get, "/flights/SH100/seatmap")
            #expect(lapsed.text.contains(#""seatId":"9C","state":"AVAILABLE""#))
            #expect(lapsed.headers[.eTag] != afterHold.headers[.eTag])
        }
    }

    /// After a start, the flights departing soonest are in memory before anyone reads them,
    /// within half the cache's capacity.
    @Test func warmingBuildsTheSoonestDeparturesAheadOfReads() async throws {
        try await withStore(.sqlite) { store in
            let fixtures = Fixtures(store: store)
            for (id, days) in [("THIRD", 3.0), ("FIRST", 1.0), ("SECOND", 2.0)] {
                try await fixtures.flight(id, departsIn: days * 86_400)
            }
            try await fixtures.flight("GONE", departsIn: 60)
            fixtures.clock.advance(by: 120)
            let cache = SeatMapCache(store: store, clock: fixtures.clock, capacity: 4)
            #expect(try await cache.warm(at: fixtures.clock.now()).map(\.rawValue) == ["FIRST", "SECOND"])
            #expect(cache.cachedEntry(for: FlightID("FIRST")!) != nil && cache.cachedEntry(for: FlightID("SECOND")!) != nil)
            #expect(cache.cachedEntry(for: FlightID("THIRD")!) == nil && cache.cachedEntry(for: FlightID("GONE")!) == nil)
        }
    }

    /// Changes made behind the cache's back (another instance) are repaired by reconcile.
    @Test func reconcileRepairsAMissedSignal() async throws {
        try await withStore(.sqlite) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let cache = SeatMapCache(store: store, clock: fixtures.clock)
            let before = try #require(try await cache.entry(for: FlightID("SH100")!))
            _ = try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("1A")!, passengerID: passenger,
                                          at: fixtures.clock.now(), duration: 600)
            #expect(try await cache.entry(for: FlightID("SH100")!)?.etag == before.etag)
            try await cache.reconcile()
            #expect(try await cache.entry(for: FlightID("SH100")!)?.version == before.version + 1)
        }
    }

    /// The hub hands a follower every change in order, from its window or the store, and a gap
    /// that is too old as `.gap`.
    @Test(arguments: StoreKind.available)
    func theHubDeliversEveryChangeInOrder(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(20)
            let flight = FlightID("SH100")!
            let hub = SeatChangeHub(store: store, windowSize: 16)
            let (id, wakes) = hub.follow(flight, from: 0)
            var cursor: Int64 = 0
            var seen: [SeatChange] = []
            for (index, passenger) in passengers.enumerated() {
                let hold = try await store.placeHold(flightID: flight, seatID: SeatID("\(index + 1)A")!, passengerID: passenger,
                                                     at: fixtures.clock.now(), duration: 600)
                if index.isMultiple(of: 3) { _ = try await store.cancelHold(hold.id, by: passenger, at: fixtures.clock.now()) }
                hub.flightChanged(flight)
                _ = await wakes.wait(upTo: .seconds(2))
                if case .changes(let changes) = try await hub.changes(flight, after: cursor) {
                    seen += changes
                    cursor = changes.last?.version ?? cursor
                }
            }
            // On PostgreSQL the last changes may still wait for other transactions on the server
            // to end (other suites hold some open for seconds on purpose, and a loaded machine
            // stretches them): follow until the hub has handed over the whole history (bounded).
            let history = try await store.events(of: flight).filter { $0.version != nil }
            let last = history.compactMap(\.version).max() ?? 0
            let deadline = ContinuousClock.now + .seconds(30)
            while cursor < last, ContinuousClock.now < deadline {
                hub.flightChanged(flight)
                _ = await wakes.wait(upTo: .milliseconds(50))
                if case .changes(let changes) = try await hub.changes(flight, after: cursor) {
                    seen += changes
                    cursor = changes.last?.version ?? cursor
                }
            }
            hub.unfollow(flight, id: id)
            #expect(seen.map(\.version) == history.compactMap(\.version))
            if kind == .sqlite { #expect(seen.map(\.version) == Array(1...Int64(seen.count))) }
            let replay = Dictionary(seen.map { ($0.seatId, $0.state) }, uniquingKeysWith: { _, last in last })
            let map = try #require(try await store.seatMap(flight, at: fixtures.clock.now()))
            for (seat, state) in replay { #expect(map.state(of: SeatID(seat)!) == state) }
            #expect(try await hub.changes(flight, after: 0) == .gap)
        }
    }
}
