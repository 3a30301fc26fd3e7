import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore

/// `Idempotency-Key` on a POST: the first request with a key runs and its answer is stored;
/// a repeat with the same key and body gets that answer again and changes nothing; the same key
/// with another body is 422. Keys are scoped to the client and the route.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotency-Replayed")!
    let environment: APIEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.header] else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw Problem.invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        var request = request
        if let length = request.headers[.contentLength].flatMap(Int.init), length > JSONBody.maximumBytes {
            throw Problem.bodyTooLarge
        }
        let body = try await request.collectBody(upTo: JSONBody.maximumBytes)
        let scope = IdempotencyScope(client: context.clientKey, route: request.uri.path, key: key)
        let hash = SHA256.hash(data: Data(buffer: body)).map { String(format: "%02x", $0) }.joined()
        let store = environment.store
        switch try await store.claim(scope, requestHash: hash, at: environment.clock.now()) {
        case .replay(let stored):
            var headers: HTTPFields = [.contentType: stored.contentType, Self.replayedHeader: "true"]
            if let location = stored.location { headers[.location] = location }
            return Response(status: .init(code: stored.status), headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
        case .mismatch:
            throw Problem("idempotency-key-reused", .unprocessableContent, "Idempotency key reused",
                          "this Idempotency-Key was used with a different request")
        case .inProgress:
            throw Problem("idempotency-in-progress", .conflict, "Request in progress",
                          "a request with this Idempotency-Key is still being processed")
        case .claimed:
            break
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ProblemMapping.problem(for: error, logger: context.logger).response
        }
        // Answers that a retry could change (server faults, throttling) are not kept.
        guard response.status.code < 500, response.status != .tooManyRequests else {
            try await store.abandon(scope)
            return response
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let bytes = collector.buffer
        try await store.complete(scope, response: StoredResponse(
            status: response.status.code, contentType: response.headers[.contentType] ?? "application/json",
            body: Data(buffer: bytes), location: response.headers[.location]))
        var replay = response
        replay.body = .init(byteBuffer: bytes)
        return replay
    }
}

/// Gathers a response body so that it can be stored.
private final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var buffer = ByteBuffer()
    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
