import Foundation
import Synchronization

/// The source of "now" for every rule that depends on time. Injected so that tests move time
/// instead of sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

extension Date {
    /// Times are kept to the millisecond so that every store round-trips them exactly.
    public var truncatedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    public init(millisecondsSince1970 ms: Int64) {
        self.init(timeIntervalSince1970: Double(ms) / 1000)
    }
}

/// The real clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date().truncatedToMilliseconds }
}

/// A clock that only moves when told to.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start.truncatedToMilliseconds)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = ($0 + seconds).truncatedToMilliseconds }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date.truncatedToMilliseconds }
    }
}

/// Makes identifiers; injected for the same reason as the clock.
public struct IDGenerator: Sendable {
    private let make: @Sendable () -> UUID

    public init(_ make: @escaping @Sendable () -> UUID) { self.make = make }

    public func callAsFunction() -> UUID { make() }

    /// Random (version 4) identifiers from the system's generator. (Foundation's `UUID()` opens
    /// and reads `/dev/urandom` for each one, a cost on every hold.)
    public static let random = IDGenerator {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  // the RFC 4122 variant
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }
}
