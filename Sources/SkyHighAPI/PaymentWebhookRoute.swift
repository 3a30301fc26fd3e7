import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addPaymentWebhookRoute(_ env: APIEnvironment) {
        /// The Payment service reports an intent's outcome. The signature is checked over the raw
        /// body before anything is parsed; each event id is applied once.
        add(.post, "/payments/webhook") { request, _ in
            let body = try await JSONBody.collect(request)
            let signature = request.headers[HTTPField.Name(WebhookSignature.headerName)!]
            guard !env.webhookSecret.isEmpty,
                  WebhookSignature.isValid(signature, body: body, secret: env.webhookSecret, at: env.clock.now())
            else {
                throw Problem.unauthorized("invalid-signature", signature == nil
                    ? "the \(WebhookSignature.headerName) header is missing"
                    : "the \(WebhookSignature.headerName) header is not a valid signature of this body made in the last 5 minutes")
            }
            let payload = try JSONBody.decode(PaymentWebhookRequest.self, from: body)
            let outcome = try await env.store.recordPaymentEvent(try payload.event(), policy: env.baggage, at: env.clock.now())
            return try JSONBody.response(PaymentWebhookResponse(outcome))
        }
    }
}
