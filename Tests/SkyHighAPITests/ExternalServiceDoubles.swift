import Foundation
import SkyHighCore
import Synchronization

/// A Weight service for tests: the declared weight, else 15 kg; or down.
final class TestWeights: WeightService {
    private let state = Mutex((down: false, calls: 0))

    var down: Bool {
        get { state.withLock { $0.down } }
        set { state.withLock { $0.down = newValue } }
    }

    var calls: Int { state.withLock { $0.calls } }

    func weigh(checkinID: UUID, tag: BagTag, declaredGrams: Int?) async throws -> Int {
        let down = state.withLock { state in
            state.calls += 1
            return state.down
        }
        if down { throw ServiceUnavailableError(.weight, "test service is down") }
        return declaredGrams ?? 15_000
    }
}

/// A Payment service for tests: one intent per idempotency key, all PENDING; or down.
final class TestPayments: PaymentService {
    private let state = Mutex((down: false, intents: [String: PaymentIntent]()))

    var down: Bool {
        get { state.withLock { $0.down } }
        set { state.withLock { $0.down = newValue } }
    }

    var intentCount: Int { state.withLock { $0.intents.count } }

    func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        try state.withLock { state in
            if state.down { throw ServiceUnavailableError(.payment, "test service is down") }
            if let known = state.intents[request.idempotencyKey] { return known }
            let intent = PaymentIntent(id: "pi_\(state.intents.count + 1)", amount: request.amount, status: .pending)
            state.intents[request.idempotencyKey] = intent
            return intent
        }
    }

    func intent(_ id: String) async throws -> PaymentIntent? {
        state.withLock { $0.intents.values.first { $0.id == id } }
    }
}
