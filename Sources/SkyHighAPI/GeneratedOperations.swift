import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
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
        let route = RouteTable.Route(method: method, path: RouteTable.pattern(path) ?? path,
                                     handler: .generated(Self.limitingBody(handler)))
        collected.withLock { $0.append(route) }
    }

    /// The body as the handler reads it: at most ``JSONBody/maximumBytes`` (413 beyond), and an
    /// empty one is refused as JSON bodies always were. Operations that take no body never read
    /// it, so the limit costs them nothing. The runtime writes header values percent-encoded (the
    /// `simple` style), which would turn `Location: /holds/…` into `%2Fholds%2F…`: a path is
    /// already a valid URI reference, so it goes out as the handler gave it.
    private static func limitingBody(_ handler: @escaping Handler) -> Handler {
        { request, body, metadata in
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
