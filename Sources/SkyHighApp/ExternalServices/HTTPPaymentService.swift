import Foundation
import SkyHighCore

/// The Payment service over HTTP: `POST {base}/payment-intents` (header `Idempotency-Key`)
/// `{"amount", "currency", "reference", "description"}` → 200 or 201 with the intent, and
/// `GET {base}/payment-intents/{id}` → the intent, or 404. One attempt per call;
/// ``ResilientService`` adds retries (safe: the idempotency key makes a repeat return the
/// same intent) and the circuit breaker.
public struct HTTPPaymentService: PaymentService {
    let client: ServiceHTTPClient

    /// `timeout`: seconds one exchange may take.
    public init(baseURL: URL, timeout: TimeInterval) {
        client = ServiceHTTPClient(baseURL: baseURL, timeout: timeout)
    }

    public func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        let body = ServiceWireFormat.CreateIntent(
            amount: request.amount.amount, currency: request.amount.currency,
            reference: request.checkinID.uuidString.lowercased(), description: request.description)
        let answer = try await client.send("POST", ["payment-intents"], json: ServiceWireFormat.encoder.encode(body),
                                           headers: ["Idempotency-Key": request.idempotencyKey])
        let intent = try client.decode(ServiceWireFormat.Intent.self, from: answer).paymentIntent
        guard intent.amount == request.amount else {
            throw ServiceCallFailure.rejected("answered an intent for \(intent.amount), not \(request.amount)")
        }
        return intent
    }

    public func intent(_ id: String) async throws -> PaymentIntent? {
        let answer = try await client.send("GET", ["payment-intents", id], accepting: [404])
        if answer.status == 404 { return nil }
        return try client.decode(ServiceWireFormat.Intent.self, from: answer).paymentIntent
    }
}
