import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import SkyHighCore
import Synchronization

/// The operations implemented by the generated server (``APIHandlers``), collected as the
/// generated `registerHandlers` registers them, so that they join the hand-written routes in the
/// one ``RouteTable`` (which answers 405 and is compared with the specification).
final class GeneratedOperations: ServerTransport, Sendable {
    typealias Handler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

    private let collected = Mutex<[RouteTable.Route]>([])

    /// The generated operations of `environment`, as routes.
    static func routes(_ environment: APIEnvironment) -> [RouteTable.Route] {
        let operations = GeneratedOperations()
        do {
            try APIHandlers(environment: environment).registerHandlers(on: operations, configuration: .skyHigh)
        } catch {
            // Only a server URL that does not parse can fail, and the default one is "/".
            preconditionFailure("the generated operations could not be registered: \(error)")
        }
        return operations.collected.withLock { $0 }
    }

    func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
        let pattern = RouteTable.pattern(path) ?? path
        let open = Self.withoutToken.contains("\(method.rawValue) \(pattern)")
        let route = RouteTable.Route(method: method, path: pattern,
                                     handler: .generated(Self.asWrittenByHand(open ? handler : Self.tokenFirst(handler, path: pattern))))
        collected.withLock { $0.append(route) }
    }

    /// The generated operations anyone may call (`security: []` in the specification, which a
    /// test compares). Every other needs a bearer token.
    static let withoutToken: Set<String> = ["GET /health/live", "GET /health/ready", "GET /openapi.yaml", "POST /sessions"]

    /// A request without a token is 401 before its body is read, as the routes written by hand
    /// answer: a client that forgot to sign in learns that, not what its body lacks.
    private static func tokenFirst(_ handler: @escaping Handler, path: String) -> Handler {
        let missing: any Error = path.hasPrefix("/admin/") ? AppRequestContext.noAdminToken : DomainError.notSignedIn
        return { request, body, metadata in
            guard AppRequestContext.current?.identity != nil else { throw missing }
            return try await handler(request, body, metadata)
        }
    }

    /// The request and answer as the routes written by hand take and give them:
    /// - the body is read as JSON whatever its declared type, and the answer is the operation's
    ///   one type whatever the client accepts (the runtime would refuse the first with 415, and
    ///   the second only after the handler ran, with an error: a hold made, and a 500);
    /// - at most ``JSONBody/maximumBytes`` of body (413 beyond), and an empty one refused as JSON
    ///   bodies always were; operations that take no body never read it, so the limit costs them
    ///   nothing;
    /// - header values as the handler gave them: the runtime writes them percent-encoded (the
    ///   `simple` style), which would turn `Location: /holds/…` into `%2Fholds%2F…`, and a path
    ///   is already a valid URI reference.
    private static func asWrittenByHand(_ handler: @escaping Handler) -> Handler {
        { request, body, metadata in
            var request = request
            request.headerFields[.accept] = nil
            if body != nil { request.headerFields[.contentType] = "application/json" }
            var (response, answer) = try await handler(
                request, body.map { HTTPBody(LimitedBody(body: $0), length: $0.length, iterationBehavior: .single) }, metadata)
            if let location = response.headerFields[.location] {
                response.headerFields[.location] = location.removingPercentEncoding ?? location
            }
            return (response, answer)
        }
    }
}

/// A request body read in chunks that fails past the API's limit, or when it ends empty.
private struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk
    let body: HTTPBody

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPBody.AsyncIterator
        /// `Content-Length` already says the body is too large.
        let declaredTooLarge: Bool
        var count = 0

        mutating func next() async throws -> HTTPBody.ByteChunk? {
            if declaredTooLarge { throw Problem.bodyTooLarge }
            guard let chunk = try await chunks.next() else {
                if count == 0 { throw Problem.badRequest("a JSON body is required") }
                return nil
            }
            count += chunk.count
            if count > JSONBody.maximumBytes { throw Problem.bodyTooLarge }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        let tooLarge = if case .known(let length) = body.length { length > JSONBody.maximumBytes } else { false }
        return AsyncIterator(chunks: body.makeAsyncIterator(), declaredTooLarge: tooLarge)
    }
}

extension Configuration {
    /// JSON as the hand-written answers write it: sorted keys, unescaped slashes, and times in
    /// RFC 3339 with milliseconds.
    static let skyHigh = Configuration(dateTranscoder: RFC3339Dates(),
                                       jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}

/// Times written with milliseconds and read with or without them (``Timestamp``).
struct RFC3339Dates: DateTranscoder {
    func encode(_ date: Date) throws -> String { Timestamp.format(date) }

    func decode(_ text: String) throws -> Date {
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [],
                debugDescription: "expected an RFC 3339 time such as 2026-12-01T09:30:00Z"))
        }
        return date
    }
}
