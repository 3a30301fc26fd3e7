import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore

/// `Idempotency-Key` on a POST: the first request with a key runs as one store transaction that
/// also stores its answer, so the effect and the answer commit together or not at all; a repeat
/// with the same key and body gets that answer again and changes nothing; the same key with
/// another body is 422. Keys are scoped to the client and the route.
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
        let collected = request
        let environment = environment
        // The chain is called inside `runIdempotently`, which returns before this does.
        let run = try await withoutActuallyEscaping(next) { next in
            let rest = NextInChain(next)
            return try await environment.store.runIdempotently(scope, requestHash: hash, at: environment.clock.now()) {
                let response: Response
                do {
                    response = try await rest.call(collected, context)
                } catch {
                    response = ProblemMapping.problem(for: error, logger: context.logger).response
                }
                let collector = BodyCollector()
                try await response.body.write(collector)
                let answer = StoredResponse(status: response.status.code,
                                            contentType: response.headers[.contentType] ?? "application/json",
                                            body: Data(buffer: collector.buffer), location: response.headers[.location])
                // Answers that a retry could change (server faults, throttling) are not kept.
                return IdempotentAnswer(response: answer, keep: response.status.code < 500 && response.status != .tooManyRequests,
                                        kept: SessionReplay.applies(to: scope.route, answer) ? SessionReplay.withoutToken(answer) : nil)
            }
        }
        switch run {
        case .performed(let stored):
            return Self.response(stored, replayed: false)
        case .replay(let stored) where SessionReplay.applies(to: scope.route, stored):
            return Self.response(try await SessionReplay.reissued(stored, environment), replayed: true)
        case .replay(let stored):
            return Self.response(stored, replayed: true)
        case .mismatch:
            throw Problem("idempotency-key-reused", .unprocessableContent, "Idempotency key reused",
                          "this Idempotency-Key was used with a different request")
        case .inProgress:
            throw Problem("idempotency-in-progress", .conflict, "Request in progress",
                          "a request with this Idempotency-Key is still being processed")
        }
    }

    private static func response(_ stored: StoredResponse, replayed: Bool) -> Response {
        var headers: HTTPFields = [.contentType: stored.contentType]
        if replayed { headers[replayedHeader] = "true" }
        if let location = stored.location { headers[.location] = location }
        return Response(status: .init(code: stored.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
    }
}

/// The rest of the middleware chain, run inside the store's transaction for the key. The store
/// may run that transaction on a task of its own (to bound it by the store's deadline), and this
/// middleware waits for it, so the chain is called once, by one task at a time, as any `next` is.
private struct NextInChain: @unchecked Sendable {
    let call: (Request, AppRequestContext) async throws -> Response
    init(_ call: @escaping (Request, AppRequestContext) async throws -> Response) { self.call = call }
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
