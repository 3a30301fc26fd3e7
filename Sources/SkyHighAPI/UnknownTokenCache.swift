import Foundation
import Synchronization

/// Hashes of bearer tokens the store did not know, remembered for `lifetime` seconds, so that a
/// client repeating a bad token is answered 401 from memory. At most `capacity` hashes are kept;
/// when full it is emptied, so a flood of distinct tokens costs memory only up to that bound
/// (and each of them a charge to its address's rate limit, see ``AuthMiddleware``).
final class UnknownTokenCache: Sendable {
    private let entries = Mutex<[String: Date]>([:])
    let lifetime: TimeInterval
    let capacity: Int

    init(lifetime: TimeInterval = 60, capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func contains(_ tokenHash: String, at now: Date) -> Bool {
        entries.withLock { $0[tokenHash].map { $0 > now } ?? false }
    }

    func remember(_ tokenHash: String, at now: Date) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[tokenHash] = now + lifetime
        }
    }
}
