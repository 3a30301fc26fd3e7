import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addPaymentWebhookRoute(_ env: APIEnvironment) {
        /// The Payment service reports an intent's outcome. ``PaymentWebhookGate`` checked the
        /// signature over the raw body before anything else; each event id is applied once. An
        /// intent not known yet is 404 and consumes nothing, so the provider's retry applies it.
        add(.post, PaymentWebhookGate.path) { request, context in
            guard context.paymentWebhookVerified else {
                throw Problem.unauthorized("invalid-signature", "the \(WebhookSignature.headerName) header was not checked")
            }
            let body = try await JSONBody.collect(request)
            let payload = try JSONBody.decode(PaymentWebhookRequest.self, from: body)
            let outcome = try await env.store.recordPaymentEvent(try payload.event(), policy: env.baggage, at: env.clock.now())
            if case .unknownIntent = outcome {
                throw Problem.notFound("payment-intent-unknown",
                                       "no payment intent \(payload.paymentIntentId) is known here (yet); retry later")
            }
            return try JSONBody.response(PaymentWebhookResponse(outcome))
        }
    }
}
