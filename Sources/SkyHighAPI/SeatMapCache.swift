import Crypto
import Foundation
import NIOCore
import SkyHighCore
import Synchronization

/// Every recently read flight's seat map, as the bytes to send and their ETag. A read is served
/// from memory; the entry is rebuilt (once, however many readers are waiting) after the flight
/// changes: through this instance (`invalidate` right after the change commits, so its next read
/// shows it), through another instance (the store's signal), or when a HELD hold on it lapses.
public final class SeatMapCache: Sendable {
    public struct Entry: Sendable {
        public let version: Int64
        public let etag: String
        public let body: ByteBuffer
        /// The map changes by itself then (a HELD hold expires), signal or not.
        let validUntil: Date?
        let generation: UInt64
    }

    private struct State {
        var entries: [FlightID: Entry] = [:]
        var building: [FlightID: (generation: UInt64, task: Task<Entry?, any Error>)] = [:]
        var generations: [FlightID: UInt64] = [:]
    }

    let store: any FlightStore
    let clock: any WallClock
    let capacity: Int
    private let state = Mutex(State())

    public init(store: any FlightStore, clock: any WallClock, capacity: Int = 10_000) {
        self.store = store
        self.clock = clock
        self.capacity = capacity
    }

    /// The flight's seat map, or `nil` if there is no such flight.
    public func entry(for flight: FlightID) async throws -> Entry? {
        let now = clock.now()
        let (cached, task) = state.withLock { state -> (Entry?, Task<Entry?, any Error>?) in
            let generation = state.generations[flight, default: 0]
            if let entry = state.entries[flight], entry.generation == generation, entry.validUntil.map({ now < $0 }) ?? true {
                return (entry, nil)
            }
            if let building = state.building[flight], building.generation == generation { return (nil, building.task) }
            let task = Task { try await self.build(flight, generation: generation) }
            state.building[flight] = (generation, task)
            return (nil, task)
        }
        if let cached { return cached }
        return try await task!.value
    }

    /// The flight changed: the next read rebuilds its map.
    public func invalidate(_ flight: FlightID) {
        state.withLock { state in
            state.generations[flight, default: 0] += 1
            state.entries[flight] = nil
        }
    }

    /// Anything may have changed (a lost connection to the store's signals).
    public func invalidateAll() {
        state.withLock { state in
            for flight in state.entries.keys { state.generations[flight, default: 0] += 1 }
            state.entries.removeAll()
        }
    }

    /// Drops the entries whose version differs from the store's: repairs anything a lost signal missed.
    public func reconcile() async throws {
        let cached = state.withLock { $0.entries.mapValues(\.version) }
        let current = try await store.flightVersions(Array(cached.keys))
        for (flight, version) in cached where current[flight] != version { invalidate(flight) }
    }

    private func build(_ flight: FlightID, generation: UInt64) async throws -> Entry? {
        defer { state.withLock { state in
            if state.building[flight]?.generation == generation { state.building[flight] = nil }
        } }
        guard let map = try await store.seatMap(flight, at: clock.now()) else { return nil }
        let bytes = try JSONBody.encoder.encode(SeatMapResponse(map))
        // The ETag covers the bytes, so a hold that lapsed without a sweep still changes it.
        let digest = SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
        let entry = Entry(version: map.version, etag: "\"\(map.version)-\(digest)\"", body: ByteBuffer(bytes: bytes),
                          validUntil: map.nextExpiry, generation: generation)
        state.withLock { state in
            guard state.generations[flight, default: 0] == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll() }
            state.entries[flight] = entry
        }
        return entry
    }
}
