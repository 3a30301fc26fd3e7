import Foundation
import SkyHighCore
import Synchronization

/// The Weight service for the embedded default and for tests: a bag weighs what the passenger
/// declared, else 15 kg, unless a test fixed its weight; answers after the shared latency and
/// fails at the shared failure rate.
public final class MockWeightService: WeightService {
    public static let undeclaredGrams = 15_000

    public let behaviour: MockBehaviour
    private let fixed = Mutex<[BagTag: Int]>([:])
    private let calls = Mutex(0)

    public init(behaviour: MockBehaviour) {
        self.behaviour = behaviour
    }

    /// Makes the bag tagged `tag` weigh `grams` whatever is declared; `nil` undoes it.
    public func setWeight(_ grams: Int?, for tag: BagTag) {
        fixed.withLock { $0[tag] = grams }
    }

    /// Calls that reached the service, failed ones included.
    public var callCount: Int { calls.withLock { $0 } }

    public func weigh(checkinID: UUID, tag: BagTag, declaredGrams: Int?) async throws -> Int {
        calls.withLock { $0 += 1 }
        try await behaviour.perform(.weight)
        return fixed.withLock { $0[tag] } ?? declaredGrams ?? Self.undeclaredGrams
    }
}
