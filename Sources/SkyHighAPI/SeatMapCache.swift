import Crypto
import Foundation
import HTTPTypes
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
        /// The headers of a 200 and of a 304, made once per build rather than once per read,
        /// as fields for the router and as bytes for ``SeatMapFastPath``.
        let headers: (ok: HTTPFields, notModified: HTTPFields)
        let encodedHeads: (ok: EncodedHead, notModified: EncodedHead)

        init(version: Int64, etag: String, body: ByteBuffer, validUntil: Date?, generation: UInt64) {
            (self.version, self.etag, self.body, self.validUntil, self.generation) = (version, etag, body, validUntil, generation)
            let notModified: HTTPFields = [.eTag: etag, .cacheControl: "no-cache"]
            var ok = notModified
            ok[.contentType] = "application/json"
            ok[.contentLength] = String(body.readableBytes)
            headers = (ok, notModified)
            encodedHeads = (EncodedHead(.ok, ok), EncodedHead(.notModified, notModified))
        }
    }

    private struct State {
        var entries: [FlightID: Entry] = [:]
        var building: [FlightID: (generation: UInt64, task: Task<Entry?, any Error>)] = [:]
        var generations: [FlightID: UInt64] = [:]

        /// The entry, if it was built after the flight's last change and no hold on it has lapsed since.
        func current(_ flight: FlightID, at now: Date) -> Entry? {
            guard let entry = entries[flight], entry.generation == generations[flight, default: 0],
                  entry.validUntil.map({ now < $0 }) ?? true else { return nil }
            return entry
        }
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
            if let entry = state.current(flight, at: now) { return (entry, nil) }
            let generation = state.generations[flight, default: 0]
            if let building = state.building[flight], building.generation == generation { return (nil, building.task) }
            let task = Task { try await self.build(flight, generation: generation) }
            state.building[flight] = (generation, task)
            return (nil, task)
        }
        if let cached { return cached }
        return try await task!.value
    }

    /// The flight's seat map if memory holds it and it is current; never waits and never builds.
    public func cachedEntry(for flight: FlightID) -> Entry? {
        let now = clock.now()
        return state.withLock { $0.current(flight, at: now) }
    }

    /// Builds, ahead of any read, the maps of the flights departing soonest after `now`: at most
    /// half the capacity, so reads of other flights still find room. Returns the flights built.
    public func warm(at now: Date) async throws -> [FlightID] {
        var built: [FlightID] = []
        for flight in try await store.upcomingFlights(after: now, limit: capacity / 2) {
            try Task.checkCancellation()
            if try await entry(for: flight) != nil { built.append(flight) }
        }
        return built
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
        let digest = SHA256.hash(data: bytes).prefix(8).lowercaseHex
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

extension SeatMapCache.Entry {
    /// The answer to a read of this seat map, whichever path serves it: 304 when `If-None-Match`
    /// names this version, else the ready bytes.
    func answer(ifNoneMatch: String?) -> (head: HTTPResponse, body: ByteBuffer?) {
        if let match = ifNoneMatch, Self.matches(match, etag) {
            return (HTTPResponse(status: .notModified, headerFields: headers.notModified), nil)
        }
        return (HTTPResponse(status: .ok, headerFields: headers.ok), body)
    }

    /// The same answer with its head as bytes, ready for more fields.
    func encodedAnswer(ifNoneMatch: String?) -> (head: EncodedHead, body: ByteBuffer?) {
        if let match = ifNoneMatch, Self.matches(match, etag) { return (encodedHeads.notModified, nil) }
        return (encodedHeads.ok, body)
    }

    /// `If-None-Match` may list several tags, weak or strong, or `*`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate[...]
            while tag.first == " " || tag.first == "\t" { tag.removeFirst() }
            while tag.last == " " || tag.last == "\t" { tag.removeLast() }
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
