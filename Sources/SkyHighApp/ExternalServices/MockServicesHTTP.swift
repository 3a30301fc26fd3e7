import Foundation
import Hummingbird
import SkyHighCore

/// Bodies, answers and error mapping of the mock-services app (see ``buildMockServicesRouter(_:)``).
enum MockServicesHTTP {
    static let maximumBodyBytes = 1 << 20

    /// `POST /payment-intents/{id}/fail` (and `/succeed`), body optional.
    struct SettleRequest: Decodable {
        let reason: String?
    }

    /// The answer to settling an intent: its new state and how the webhook went.
    struct SettleAnswer: Encodable {
        let paymentIntentId: String
        let status: PaymentStatus
        let failureReason: String?
        let eventId: String
        let webhookStatus: Int?
        let webhookError: String?

        init(_ settlement: MockPaymentService.Settlement) {
            paymentIntentId = settlement.intent.id
            status = settlement.intent.status
            failureReason = settlement.intent.failureReason
            eventId = settlement.eventID
            webhookStatus = settlement.deliveryStatus
            webhookError = settlement.deliveryError
        }
    }

    /// `PUT /behaviour`: what is given changes, the rest stays.
    struct BehaviourChange: Decodable {
        let latencyMs: Int?
        let failureRate: Double?
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try ServiceWireFormat.encoder.encode(value))))
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        guard let value = try await decodeIfPresent(type, from: request) else {
            throw HTTPError(.badRequest, message: "a JSON body is required")
        }
        return value
    }

    /// `nil` for an empty body.
    static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T? {
        let buffer = try await request.body.collect(upTo: maximumBodyBytes)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try ServiceWireFormat.decoder.decode(type, from: Data(buffer: buffer))
        } catch {
            throw HTTPError(.badRequest, message: "the body is not the expected JSON: \(error)")
        }
    }

    static func invalid(_ message: String) -> HTTPError {
        HTTPError(.unprocessableContent, message: message)
    }

    /// The payment-intent request in `POST /payment-intents`, checked.
    static func intentRequest(from request: Request) async throws -> PaymentIntentRequest {
        guard let key = request.headers[.init("Idempotency-Key")!], !key.isEmpty else {
            throw HTTPError(.badRequest, message: "the Idempotency-Key header is required")
        }
        let body = try await decode(ServiceWireFormat.CreateIntent.self, from: request)
        guard body.amount > 0 else { throw invalid("amount must be a positive number of minor units") }
        guard body.currency.count == 3, body.currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw invalid("currency must be three upper-case letters")
        }
        guard let checkinID = UUID(uuidString: body.reference) else { throw invalid("reference must be a check-in UUID") }
        return PaymentIntentRequest(amount: Money(amount: body.amount, currency: body.currency), idempotencyKey: key,
                                    checkinID: checkinID, description: body.description)
    }

    /// Runs a mock call, answering its failures as HTTP errors: a simulated outage is 503, a
    /// refused request 422, an unknown intent 404.
    static func answering<T: Sendable>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as ServiceUnavailableError {
            throw HTTPError(.serviceUnavailable, message: error.reason)
        } catch let error as ServiceCallFailure {
            throw invalid(error.description)
        } catch let error as MockPaymentService.UnknownIntent {
            throw HTTPError(.notFound, message: error.description)
        }
    }
}
