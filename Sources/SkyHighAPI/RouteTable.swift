import HTTPTypes
import Hummingbird

/// The API's operations as the specification writes them (`/holds/{holdId}`), registered on the
/// router from this one list, so that tests can compare it with API-SPECIFICATION.yml and the
/// router can answer 405 with `Allow` for a known path.
public struct RouteTable: Sendable {
    public struct Route: Sendable {
        public let method: HTTPRequest.Method
        public let path: String
        let handler: @Sendable (Request, AppRequestContext) async throws -> Response
    }

    public private(set) var routes: [Route] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String,
                      _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        routes.append(Route(method: method, path: path, handler: handler))
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
            router.on(RouterPath("/" + hummingbirdPath), method: route.method, use: route.handler)
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
