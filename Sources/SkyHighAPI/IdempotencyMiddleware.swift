import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore
import Synchronization

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
        let hash = SHA256.hash(data: Data(buffer: body)).lowercaseHex
        let collected = request
        let environment = environment
        // The chain is lent to `runIdempotently`, which runs it in the store's transaction, on a
        // task of the store's; it is taken back before `next` may go (see ``LentChain``).
        let run = try await withoutActuallyEscaping(next) { next in
            let rest = LentChain(next)
            let perform: @Sendable () async throws -> IdempotentAnswer = {
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
            let run: Result<IdempotentRun, any Error>
            do {
                run = .success(try await environment.store.runIdempotently(scope, requestHash: hash, at: environment.clock.now(), perform))
            } catch {
                run = .failure(error)
            }
            await rest.takeBack()
            return try run.get()
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

/// The rest of the middleware chain, lent to the store's transaction for the key. The store runs
/// that transaction on a task of its own, bounded by its deadline, and may answer (a 503 at the
/// deadline, a cancelled request) while that task still runs and still holds this. So `next`
/// is not captured by the transaction's closures but held here, and taken back before the
/// middleware returns: once any call in progress has ended, the chain is dropped and a later call
/// fails. What the task keeps then holds nothing of the request's (`withoutActuallyEscaping`
/// checks exactly that, and stops the process if not).
private final class LentChain: Sendable {
    typealias Call = (Request, AppRequestContext) async throws -> Response
    /// `@unchecked`: the chain is called once, by one task at a time, as any `next` is.
    private struct State: @unchecked Sendable {
        var call: Call?
        var calling = false
        var whenDone: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>

    init(_ call: @escaping Call) { state = Mutex(State(call: call)) }

    func call(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let result = await invoke(state.withLock { state -> Call? in
            state.calling = state.call != nil
            return state.call
        }, request, context)
        let waiting = state.withLock { state in
            state.calling = false
            defer { state.whenDone = nil }
            return state.whenDone
        }
        waiting?.resume()
        return try result.get()
    }

    /// Runs `call` and lets go of it before answering, so that once this returns no frame holds it.
    private func invoke(_ call: Call?, _ request: Request, _ context: AppRequestContext) async -> Result<Response, any Error> {
        guard let call else { return .failure(CancellationError()) }
        do { return .success(try await call(request, context)) } catch { return .failure(error) }
    }

    /// Waits for a call in progress to end, then drops the chain.
    func takeBack() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                state.call = nil
                guard state.calling else { return true }
                state.whenDone = continuation
                return false
            }
            if now { continuation.resume() }
        }
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
