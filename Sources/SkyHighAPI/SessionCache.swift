import Foundation
import SkyHighCore
import Synchronization

/// Recently seen session tokens (by hash), so that a signed-in client's requests do not each
/// cost a store round trip. An entry lives `lifetime` seconds, so a session is honoured at most
/// that long past its expiry; the cache holds at most `capacity` entries and is emptied when full.
final class SessionCache: Sendable {
    private struct Entry {
        let booking: BookingReference
        let until: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let lifetime: TimeInterval
    let capacity: Int

    init(lifetime: TimeInterval = 30, capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func booking(_ tokenHash: String, at now: Date) -> BookingReference? {
        entries.withLock { entries in
            guard let entry = entries[tokenHash], entry.until > now else { return nil }
            return entry.booking
        }
    }

    func remember(_ tokenHash: String, booking: BookingReference, at now: Date) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[tokenHash] = Entry(booking: booking, until: now + lifetime)
        }
    }
}
