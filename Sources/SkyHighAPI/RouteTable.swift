import HTTPTypes
import Hummingbird
import OpenAPIHummingbird

/// The API's operations as the specification writes them (`/holds/{holdId}`), registered on the
/// router from this one list, so that tests can compare it with API-SPECIFICATION.yml and the
/// router can answer 405 with `Allow` for a known path. Most are the generated server's
/// (``GeneratedOperations``); the rest are routes written by hand.
public struct RouteTable: Sendable {
    public struct Route: Sendable {
        public let method: HTTPRequest.Method
        public let path: String
        let handler: Handler
    }

    enum Handler: Sendable {
        /// A route written by hand.
        case route(@Sendable (Request, AppRequestContext) async throws -> Response)
        /// An operation of the generated server, registered through swift-openapi-hummingbird.
        case generated(GeneratedOperations.Handler)
    }

    public private(set) var routes: [Route] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String,
                      _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        routes.append(Route(method: method, path: path, handler: .route(handler)))
    }

    mutating func add(_ generated: [Route]) {
        routes.append(contentsOf: generated)
    }

    /// Every (method, path) pair, for comparison with the specification.
    public var operations: [(method: String, path: String)] {
        routes.map { ($0.method.rawValue, $0.path) }
    }

    func register(on router: Router<AppRequestContext>) {
        for route in routes {
            let hummingbirdPath = route.path.split(separator: "/").map { segment in
                segment.hasPrefix("{") ? ":" + segment.dropFirst().dropLast() : segment
            }.joined(separator: "/")
            switch route.handler {
            case .route(let handler):
                router.on(RouterPath("/" + hummingbirdPath), method: route.method, use: handler)
            case .generated(let handler):
                router.register(handler, method: route.method, path: "/" + hummingbirdPath)
            }
        }
    }

    /// The specification's form (`/holds/{holdId}`) of a router endpoint path (`/holds/:holdId`).
    static func pattern(_ endpointPath: String?) -> String? {
        endpointPath.map { path in
            path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                .joined(separator: "/").prefixed("/")
        }
    }

    /// Methods registered for a concrete path such as `/holds/123`.
    func methods(forPath path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.filter { route in
            let pattern = route.path.split(separator: "/")
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
    }
}

extension String {
    fileprivate func prefixed(_ prefix: String) -> String { hasPrefix(prefix) ? self : prefix + self }
}
