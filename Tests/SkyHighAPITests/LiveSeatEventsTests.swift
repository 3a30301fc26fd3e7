import Foundation
import HTTPTypes
import SkyHighAPI
import SkyHighCore
import SkyHighTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real SSE client on a socket sees every change of a randomized run, in order.
@Suite struct LiveSeatEventsTests {
    @Test func anSSEClientSeesEveryChangeInOrder() async throws {
        try await APIHarness.run(.sqlite, mode: .live) { api in
            try await api.createFlight()
            let port = try #require(api.client.port)
            let session = try await api.bookedPassenger(passengers: 9)
            let reader = SSEReader(port: port, path: "/flights/SH100/seatmap/events")
            try reader.start()
            defer { reader.stop() }
            let snapshot = try #require(await reader.events(count: 1, within: 5).first)
            #expect(snapshot.event == "snapshot" && snapshot.id == 0)
            var holds: [String] = []
            var generator = SystemRandomNumberGenerator()
            var expected = 0
            for step in 0..<40 {
                let passenger = session.passengers[step % 9]
                if !holds.isEmpty, Bool.random(using: &generator) {
                    let hold = holds.removeFirst()
                    if try await api.request(.post, "/holds/\(hold)/cancel", token: session.token).status == .ok { expected += 1 }
                } else {
                    let seat = "\(Int.random(in: 4...30, using: &generator))\(["A", "B", "C", "D", "E", "F"].randomElement(using: &generator)!)"
                    let reply = try await api.hold(seat, for: passenger, token: session.token)
                    if reply.status == .created, let id = try reply.string("holdId") {
                        holds.append(id)
                        expected += 1
                    }
                }
            }
            let events = try await api.store.events(of: FlightID("SH100")!)
            let versions = events.compactMap(\.version)
            let received = await reader.events(count: 1 + versions.count, within: 10).dropFirst()
            #expect(received.map(\.event).allSatisfy { $0 == "seat" })
            #expect(received.map(\.id) == versions)
            let last = Dictionary(received.map { ($0.seat, $0.state) }, uniquingKeysWith: { _, new in new })
            let map = try #require(try await api.store.seatMap(FlightID("SH100")!, at: api.clock.now()))
            for (seat, state) in last { #expect(map.state(of: SeatID(seat)!)?.rawValue == state) }
            #expect(expected <= versions.count)
        }
    }
}

/// Resume, heartbeats and slow clients, over real sockets.
@Suite struct SeatEventStreamTests {
    static let path = "/flights/SH100/seatmap/events"

    @Test func aReconnectWithLastEventIDGetsOnlyWhatIsNewerOrASnapshot() async throws {
        try await APIHarness.run(.sqlite, mode: .live, changeWindow: 3) { api in
            try await api.createFlight()
            let port = try #require(api.client.port)
            let session = try await api.bookedPassenger(passengers: 6)
            for (passenger, seat) in zip(session.passengers, ["10A", "10B", "10C", "10D", "10E"]) {
                #expect(try await api.hold(seat, for: passenger, token: session.token).status == .created)
            }
            #expect(try await api.store.events(of: FlightID("SH100")!).compactMap(\.version) == [1, 2, 3, 4, 5])

            let resumed = SSEReader(port: port, path: Self.path, lastEventID: "3")
            try resumed.start()
            defer { resumed.stop() }
            #expect(await resumed.events(count: 2, within: 5).map(\.description) == ["seat 4 10D", "seat 5 10E"])
            #expect(try await api.hold("10F", for: session.passengers[5], token: session.token).status == .created)
            #expect(await resumed.events(count: 3, within: 5).map(\.description) == ["seat 4 10D", "seat 5 10E", "seat 6 10F"])

            // Five changes behind, more than the hub keeps (3); an id the flight never reached
            // (another store's); no version at all: the whole map.
            for lastEventID in ["1", "99", "-3", "soon"] {
                let reader = SSEReader(port: port, path: Self.path, lastEventID: lastEventID)
                try reader.start()
                defer { reader.stop() }
                #expect(await reader.events(count: 1, within: 5).map(\.description) == ["snapshot 6"], "\(lastEventID)")
            }
        }
    }

    @Test func aQuietStreamCarriesHeartbeats() async throws {
        try await APIHarness.run(.sqlite, mode: .live, liveEvents: LiveEventSettings(heartbeat: .milliseconds(50))) { api in
            try await api.createFlight()
            let reader = SSEReader(port: try #require(api.client.port), path: Self.path)
            try reader.start()
            defer { reader.stop() }
            #expect(await reader.events(count: 3, within: 5).map(\.description) == ["snapshot 0", "heartbeat", "heartbeat"])
        }
    }

    /// The seat-map reconcile wakes every stream every few seconds with nothing new; the
    /// heartbeat is timed from the last write, so those wake-ups do not put it off.
    @Test func aQuietStreamCarriesHeartbeatsWhileWakeUpsBringNothing() async throws {
        try await APIHarness.run(.sqlite, mode: .live, liveEvents: LiveEventSettings(heartbeat: .milliseconds(300))) { api in
            try await api.createFlight()
            let reader = SSEReader(port: try #require(api.client.port), path: Self.path)
            try reader.start()
            defer { reader.stop() }
            #expect(await reader.events(count: 1, within: 5).count == 1)
            let wakeUps = Self.wakeEveryStreamOften(api)
            defer { wakeUps.cancel() }
            #expect(await reader.events(count: 3, within: 20).map(\.description) == ["snapshot 0", "heartbeat", "heartbeat"])
        }
    }

    /// Clients that went away are found by the next heartbeat: their streams end and the hub
    /// stops following them.
    @Test func clientsThatWentAwayAreFoundByTheHeartbeat() async throws {
        try await APIHarness.run(.sqlite, mode: .live, liveEvents: LiveEventSettings(heartbeat: .milliseconds(200))) { api in
            try await api.createFlight()
            let port = try #require(api.client.port)
            let flight = FlightID("SH100")!
            let readers = (0..<5).map { _ in SSEReader(port: port, path: Self.path) }
            for reader in readers {
                try reader.start()
                #expect(await reader.events(count: 1, within: 5).count == 1)
            }
            let kept = SSEReader(port: port, path: Self.path)
            try kept.start()
            defer { kept.stop() }
            #expect(await kept.events(count: 1, within: 5).count == 1)
            #expect(api.seatChanges.followers(of: flight) == 6)
            let wakeUps = Self.wakeEveryStreamOften(api)
            defer { wakeUps.cancel() }
            for reader in readers { reader.stop() }
            #expect(await eventually(within: .seconds(20)) { api.seatChanges.followers(of: flight) == 1 },
                    "only the client still there is followed")
            #expect(await kept.events(count: 3, within: 10).count == 3, "and it keeps its heartbeats")
        }
    }

    /// Wakes every stream with nothing new many times per heartbeat, as the seat-map reconcile
    /// does every 5 s against the default 15 s heartbeat. The pause paces the wake-ups; nothing
    /// waits on it.
    static func wakeEveryStreamOften(_ api: APIHarness) -> Task<Void, any Error> {
        Task {
            while !Task.isCancelled {
                api.seatChanges.everythingChanged()
                try await Task.sleep(for: .milliseconds(30))
            }
        }
    }

    @Test func aClientThatStopsReadingIsDroppedAndTheOthersGetEverything() async throws {
        let settings = LiveEventSettings(slowClientLimit: .seconds(1))
        try await APIHarness.run(.sqlite, mode: .live, liveEvents: settings) { api in
            try await api.createFlight()
            let port = try #require(api.client.port)
            let flight = FlightID("SH100")!
            let session = try await api.bookedPassenger()
            let reader = SSEReader(port: port, path: Self.path)
            try reader.start()
            defer { reader.stop() }
            #expect(await reader.events(count: 1, within: 5).count == 1)
            let stalled = try StalledReader(port: port, path: Self.path)
            defer { stalled.stop() }

            // Change seats until the stalled stream is followed and then dropped (bounded).
            var (changes, followed, dropped) = (0, false, false)
            while changes < 5000, !dropped {
                let following = api.seatChanges.followers(of: flight)
                followed = followed || following == 2
                dropped = followed && following < 2
                let hold = try await api.hold("12A", for: session.passengers[0], token: session.token)
                let holdID = try #require(try hold.string("holdId"))
                #expect(try await api.request(.post, "/holds/\(holdID)/cancel", token: session.token).status == .ok)
                changes += 2
            }
            #expect(followed && dropped, "after \(changes) changes")
            #expect(api.seatChanges.followers(of: flight) == 1, "the reader that keeps up is still followed")
            #expect(await onOwnThread { stalled.drainsToTheEnd(idleLimit: 5) }, "the server closed the stalled connection")
            let received = await reader.events(count: 1 + changes, within: 20)
            #expect(received.dropFirst().map(\.id) == Array(1...Int64(changes)))
        }
    }
}

extension SSEReader.Event: CustomStringConvertible {
    var description: String {
        switch event {
        case "seat": "seat \(id) \(seat)"
        case "heartbeat": "heartbeat"
        default: "\(event) \(id)"
        }
    }
}
