import Foundation
import SkyHighCore
import Synchronization

/// One seat's new state, as live seat changes send it.
public struct SeatChange: Sendable, Equatable, Encodable {
    public let seatId: String
    public let state: SeatState
    public let version: Int64
}

/// Live seat changes per flight, for Server-Sent Events. For each flight someone follows, the
/// hub keeps the latest changes (a bounded window, read from the store's history once per change
/// however many follow) and wakes the followers. A follower that falls behind the window reads
/// the store, and one too far behind gets a fresh snapshot: nothing is buffered per follower.
public final class SeatChangeHub: Sendable {
    public enum Catch: Sendable, Equatable {
        case changes([SeatChange])
        /// Too far behind: start again from a snapshot.
        case gap
    }

    private struct Feed {
        var window: [SeatChange] = []
        var latest: Int64
        var followers: [UUID: WakeSignal] = [:]
        var fetching = false
        var stale = false
    }

    let store: any FlightStore
    let windowSize: Int
    private let feeds = Mutex<[FlightID: Feed]>([:])

    public init(store: any FlightStore, windowSize: Int = 1024) {
        self.store = store
        self.windowSize = windowSize
    }

    /// Starts following `flight` from `version`; the signal fires whenever there may be news.
    public func follow(_ flight: FlightID, from version: Int64) -> (id: UUID, wakes: WakeSignal) {
        let id = UUID()
        let wakes = WakeSignal()
        feeds.withLock { feeds in
            feeds[flight, default: Feed(latest: version)].followers[id] = wakes
        }
        return (id, wakes)
    }

    public func unfollow(_ flight: FlightID, id: UUID) {
        feeds.withLock { feeds in
            feeds[flight]?.followers[id] = nil
            if feeds[flight]?.followers.isEmpty == true { feeds[flight] = nil }
        }
    }

    /// How many streams follow `flight` now.
    public func followers(of flight: FlightID) -> Int {
        feeds.withLock { $0[flight]?.followers.count ?? 0 }
    }

    /// The changes after `version`, from the window or, further back, from the store.
    public func changes(_ flight: FlightID, after version: Int64) async throws -> Catch {
        let fromWindow = feeds.withLock { feeds -> [SeatChange]? in
            guard let feed = feeds[flight] else { return nil }
            if let oldest = feed.window.first, oldest.version <= version + 1 {
                return feed.window.filter { $0.version > version }
            }
            return feed.window.isEmpty && feed.latest <= version ? [] : nil
        }
        if let fromWindow { return .changes(fromWindow) }
        let events = try await store.seatEvents(of: flight, afterVersion: version, limit: windowSize)
        return events.count >= windowSize ? .gap : .changes(events.compactMap(Self.change))
    }

    /// Seats of `flight` changed (through any instance): fetch what is new once, wake the followers.
    public func flightChanged(_ flight: FlightID) {
        let start = feeds.withLock { feeds -> Bool in
            guard feeds[flight] != nil else { return false }
            if feeds[flight]!.fetching {
                feeds[flight]!.stale = true
                return false
            }
            feeds[flight]!.fetching = true
            return true
        }
        guard start else { return }
        Task { await self.fetch(flight) }
    }

    /// Anything may have changed: look at every followed flight.
    public func everythingChanged() {
        feeds.withLock { Array($0.keys) }.forEach(flightChanged)
    }

    private func fetch(_ flight: FlightID) async {
        while true {
            let after = feeds.withLock { $0[flight]?.latest }
            guard let after else { return }
            let events = (try? await store.seatEvents(of: flight, afterVersion: after, limit: windowSize)) ?? []
            let (again, followers) = feeds.withLock { feeds -> (Bool, [WakeSignal]) in
                guard var feed = feeds[flight] else { return (false, []) }
                let changes = events.compactMap(Self.change).filter { $0.version > feed.latest }
                if let last = changes.last {
                    // A jump the window cannot bridge empties it: followers then read the store.
                    if let first = changes.first, first.version != feed.latest + 1 { feed.window.removeAll() }
                    feed.window.append(contentsOf: changes)
                    if feed.window.count > windowSize { feed.window.removeFirst(feed.window.count - windowSize) }
                    feed.latest = last.version
                }
                let again = feed.stale || events.count >= windowSize
                feed.stale = false
                feed.fetching = again
                feeds[flight] = feed
                return (again, Array(feed.followers.values))
            }
            followers.forEach { $0.signal() }
            if !again { return }
        }
    }

    static func change(_ event: FlightEvent) -> SeatChange? {
        guard let version = event.version, let seat = event.seatID,
              let state = event.toState.flatMap(HoldState.init(rawValue:)) else { return nil }
        return SeatChange(seatId: seat.description, state: state.seatState, version: version)
    }
}
