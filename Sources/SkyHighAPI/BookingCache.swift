import Foundation
import SkyHighCore
import Synchronization

/// Bookings already read, by reference. A booking never changes once imported (its passengers
/// and its flight are fixed), so an entry cannot go stale: the ownership checks of seat writes
/// cost no store round trip after a booking's first request. At most `capacity` entries; the
/// cache is emptied when full.
final class BookingCache: Sendable {
    private let entries = Mutex<[BookingReference: Booking]>([:])
    let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// The booking, from memory or else from the store (an unknown one is not remembered).
    func booking(_ reference: BookingReference, in store: any BookingStore) async throws -> Booking? {
        if let known = entries.withLock({ $0[reference] }) { return known }
        guard let booking = try await store.booking(reference) else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[reference] = booking
        }
        return booking
    }
}
