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
        /// Every change after `coveredFrom`, up to `latest`. Versions grow but need not be dense
        /// (PostgreSQL's are transaction ids), so the window says which stretch it covers.
        var window: [SeatChange] = []
        var coveredFrom: Int64
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
            feeds[flight, default: Feed(coveredFrom: version, latest: version)].followers[id] = wakes
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
            guard let feed = feeds[flight], version >= feed.coveredFrom else { return nil }
            return feed.window.filter { $0.version > version }
        }
        if let fromWindow { return .changes(fromWindow) }
        let batch = try await store.seatEvents(of: flight, afterVersion: version, limit: windowSize)
        return batch.versions >= windowSize ? .gap : .changes(batch.events.compactMap(Self.change))
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
        var pendingPause = Self.firstPendingPause
        while true {
            let after = feeds.withLock { $0[flight]?.latest }
            guard let after else { return }
            let batch = try? await store.seatEvents(of: flight, afterVersion: after, limit: windowSize)
            let (again, followers) = feeds.withLock { feeds -> (Bool, [WakeSignal]) in
                guard var feed = feeds[flight] else { return (false, []) }
                let changes = (batch?.events ?? []).compactMap(Self.change).filter { $0.version > feed.latest }
                if let last = changes.last {
                    feed.window.append(contentsOf: changes)
                    feed.latest = last.version
                    trim(&feed)
                }
                let again = feed.stale || (batch?.versions ?? 0) >= windowSize || batch?.pending == true
                feed.stale = false
                feed.fetching = again
                feeds[flight] = feed
                return (again, Array(feed.followers.values))
            }
            followers.forEach { $0.signal() }
            if !again { return }
            if batch?.pending == true {
                // A change is waiting for an older transaction to end: look again shortly.
                try? await Task.sleep(for: pendingPause)
                pendingPause = min(pendingPause * 2, Self.lastPendingPause)
            }
        }
    }

    private static let firstPendingPause = Duration.milliseconds(5)
    private static let lastPendingPause = Duration.milliseconds(200)

    /// Keeps the window to `windowSize` changes, dropping whole versions from the front.
    private func trim(_ feed: inout Feed) {
        guard feed.window.count > windowSize else { return }
        var cut = feed.window.count - windowSize
        let boundary = feed.window[cut - 1].version
        while cut < feed.window.count, feed.window[cut].version == boundary { cut += 1 }
        feed.coveredFrom = boundary
        feed.window.removeFirst(cut)
    }

    static func change(_ event: FlightEvent) -> SeatChange? {
        guard let version = event.version, let seat = event.seatID,
              let state = event.toState.flatMap(HoldState.init(rawValue:)) else { return nil }
        return SeatChange(seatId: seat.description, state: state.seatState, version: version)
    }
}
