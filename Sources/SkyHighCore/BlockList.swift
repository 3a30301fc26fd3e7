import Foundation

/// The blocks one instance enforces: those the store holds (reloaded whenever any instance
/// blocks or lifts), and those heard from the fleet through Redis a moment before the store's
/// copy arrives. A block heard that way holds on its own for ``heardFor`` seconds at most: by
/// then the store's copy has been loaded (or the detecting instance could not write it, and the
/// store remains the record), and a lift that Redis could not carry still takes effect.
public struct BlockList: Sendable, Equatable {
    public static let heardFor: TimeInterval = 10

    struct Heard: Sendable, Equatable {
        let until: Date
        let heardAt: Date
    }

    /// Client key to the end of its block, as the store holds them (plus this instance's own
    /// detections until the next reload).
    public private(set) var stored: [String: Date] = [:]
    private var heard: [String: Heard] = [:]

    public init() {}

    public var isEmpty: Bool { stored.isEmpty && heard.isEmpty }

    /// The end of the block on `key` in force at `now`, if any.
    public func until(_ key: String, at now: Date) -> Date? {
        var latest = stored[key].flatMap { $0 > now ? $0 : nil }
        if let entry = heard[key], entry.until > now, now.timeIntervalSince(entry.heardAt) < Self.heardFor {
            latest = max(latest ?? entry.until, entry.until)
        }
        return latest
    }

    /// Replaces the store's blocks with a fresh copy.
    public mutating func replaceStored(_ blocks: [String: Date]) { stored = blocks }

    /// A block made here: it holds until the next reload shows whether the store kept it.
    public mutating func add(_ key: String, until: Date) {
        stored[key] = max(stored[key] ?? until, until)
    }

    /// A block another instance made, heard at `now`.
    public mutating func hear(_ key: String, until: Date, at now: Date) {
        heard[key] = Heard(until: until, heardAt: now)
        // Entries whose time is up are dropped now and then, so the list stays small.
        if heard.count > 64 { heard = heard.filter { now.timeIntervalSince($0.value.heardAt) < Self.heardFor } }
    }

    public mutating func lift(_ key: String) {
        stored[key] = nil
        heard[key] = nil
    }

    /// How many keys are blocked at `now`.
    public func count(at now: Date) -> Int {
        Set(stored.keys).union(heard.keys).count { until($0, at: now) != nil }
    }
}
