import Foundation
import Synchronization

/// The store's clock, as this process sees it: its own clock plus the offset last measured
/// against the store. Every instance on one database agrees on "now" to within half a round
/// trip, whatever its own wall clock says, and so on when a hold expires: `expiresAt` and the
/// expiry checks all read this clock.
public final class StoreAlignedClock: WallClock {
    private let local: any WallClock
    private let offset = Mutex<TimeInterval>(0)

    public init(local: any WallClock) { self.local = local }

    public func now() -> Date { (local.now() + offset.withLock { $0 }).truncatedToMilliseconds }

    /// How far the store's clock is ahead of the local one (negative: behind).
    public var storeOffset: TimeInterval { offset.withLock { $0 } }

    /// Records one reading of the store's clock, `storeTime`, asked at `sent` and answered at
    /// `received` on the local clock: the reading belongs to the middle of the round trip.
    public func calibrate(storeTime: Date, sent: Date, received: Date) {
        let middle = sent + received.timeIntervalSince(sent) / 2
        offset.withLock { $0 = storeTime.timeIntervalSince(middle) }
    }

    /// Reads the store's clock through `read` (nil: the store has no clock of its own, as an
    /// embedded database in this process) and calibrates. Returns the offset.
    @discardableResult
    public func calibrate(_ read: () async throws -> Date?) async throws -> TimeInterval {
        let sent = local.now()
        guard let storeTime = try await read() else { return storeOffset }
        calibrate(storeTime: storeTime, sent: sent, received: local.now())
        return storeOffset
    }
}
