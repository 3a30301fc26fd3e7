import Foundation
import Hummingbird
import Logging
import SkyHighCore

/// The mock Weight and Payment services over HTTP, for a deployment that runs SkyHigh against
/// them as separate services (`skyhigh mock-services`), and for testing the HTTP clients:
///
/// - `POST /weights`, `POST /payment-intents`, `GET /payment-intents/{id}`: the services, slowed
///   and failed (503) as the behaviour says;
/// - `POST /payment-intents/{id}/succeed`, `POST /payment-intents/{id}/fail` (`{"reason"}`
///   optional): settle an intent and send its webhook;
/// - `GET /behaviour`, `PUT /behaviour` `{"latencyMs", "failureRate"}`: the fault switch;
/// - `GET /health`.
///
/// Errors are `{"error": {"message": "..."}}`.
public func buildMockServicesRouter(_ mocks: MockServices) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/health") { _, _ in try MockServicesHTTP.json(["status": "ok"]) }
    router.post("/weights") { request, _ in
        let body = try await MockServicesHTTP.decode(ServiceWireFormat.WeighRequest.self, from: request)
        guard let checkinID = UUID(uuidString: body.checkinId) else {
            throw MockServicesHTTP.invalid("checkinId must be a UUID")
        }
        guard let tag = BagTag(body.tag) else { throw MockServicesHTTP.invalid("tag must be 4 to 10 letters and digits") }
        if let declared = body.declaredWeightKg, !(0..<1000).contains(declared) {
            throw MockServicesHTTP.invalid("declaredWeightKg must be from 0 to 1000")
        }
        let grams = try await MockServicesHTTP.answering {
            try await mocks.weight.weigh(checkinID: checkinID, tag: tag,
                                         declaredGrams: body.declaredWeightKg.map(ServiceWireFormat.grams(kilograms:)))
        }
        return try MockServicesHTTP.json(ServiceWireFormat.Weighing(tag: tag.rawValue,
                                                                    weightKg: ServiceWireFormat.kilograms(grams: grams)))
    }
    router.post("/payment-intents") { request, _ in
        let intentRequest = try await MockServicesHTTP.intentRequest(from: request)
        let (intent, created) = try await MockServicesHTTP.answering { try await mocks.payment.open(intentRequest) }
        return try MockServicesHTTP.json(ServiceWireFormat.Intent(intent), status: created ? .created : .ok)
    }
    router.get("/payment-intents/{id}") { _, context in
        let id = try context.parameters.require("id")
        guard let intent = try await MockServicesHTTP.answering({ try await mocks.payment.intent(id) }) else {
            throw HTTPError(.notFound, message: "no payment intent \(id)")
        }
        return try MockServicesHTTP.json(ServiceWireFormat.Intent(intent))
    }
    for (outcome, succeeded) in [("succeed", true), ("fail", false)] {
        router.post("/payment-intents/{id}/\(outcome)") { request, context in
            let id = try context.parameters.require("id")
            let body = try await MockServicesHTTP.decodeIfPresent(MockServicesHTTP.SettleRequest.self, from: request)
            let settlement = try await MockServicesHTTP.answering {
                try await mocks.payment.settle(id, succeeded: succeeded, reason: body?.reason)
            }
            return try MockServicesHTTP.json(MockServicesHTTP.SettleAnswer(settlement))
        }
    }
    router.get("/behaviour") { _, _ in try MockServicesHTTP.json(mocks.behaviour.settings) }
    router.put("/behaviour") { request, _ in
        let change = try await MockServicesHTTP.decode(MockServicesHTTP.BehaviourChange.self, from: request)
        if let latency = change.latencyMs, !MockBehaviour.latencyRange.contains(latency) {
            throw MockServicesHTTP.invalid("latencyMs must be from 0 to \(MockBehaviour.latencyRange.upperBound)")
        }
        if let rate = change.failureRate, !MockBehaviour.failureRateRange.contains(rate) {
            throw MockServicesHTTP.invalid("failureRate must be from 0 to 1")
        }
        return try MockServicesHTTP.json(mocks.behaviour.set(latencyMs: change.latencyMs, failureRate: change.failureRate))
    }
    return router
}

/// The mock services as an application listening on `host:port`; `onServerRunning` learns the
/// port actually bound (tests listen on port 0).
public func buildMockServicesApplication(
    _ mocks: MockServices, host: String, port: Int, logger: Logger,
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(router: buildMockServicesRouter(mocks),
                configuration: .init(address: .hostname(host, port: port), serverName: "SkyHigh-Mock-Services"),
                onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                logger: logger)
}
