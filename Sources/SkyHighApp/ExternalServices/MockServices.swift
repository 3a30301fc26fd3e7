import Foundation
import SkyHighCore

/// The mock Weight and Payment services with the behaviour they share: what `skyhigh
/// mock-services` serves over HTTP, and what tests drive directly.
public struct MockServices: Sendable {
    public let behaviour: MockBehaviour
    public let weight: MockWeightService
    public let payment: MockPaymentService

    public init(behaviour: MockBehaviour, webhookSecret: String, clock: any WallClock,
                deliver: @escaping MockPaymentService.Delivery) {
        self.behaviour = behaviour
        weight = MockWeightService(behaviour: behaviour)
        payment = MockPaymentService(behaviour: behaviour, webhookSecret: webhookSecret, clock: clock, deliver: deliver)
    }
}
