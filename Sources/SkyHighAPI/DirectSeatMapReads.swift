import Dispatch
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore

/// Decides, without waiting for anything, whether a request is a seat-map read that memory can
/// answer, and answers it exactly as the router would: the same bytes and headers, the same
/// abuse-guard accounting, the same request id and metrics. Anything it cannot settle from
/// memory alone (an unknown token, a map not built yet, a request the guard would refuse, any
/// other route) is left to the router, which decides it again in full. Some reads get a span
/// (``SeatMapTraces``) when traces are on.
struct DirectSeatMapReads: Sendable {
    let environment: APIEnvironment
    /// The `Server` header, as the application sets it.
    let serverName: String?
    let dates = HTTPDate()

    /// The answer (its head as bytes), or `nil` to pass the request on.
    func answer(_ request: HTTPRequest, peer: String?) -> (head: ByteBuffer, body: ByteBuffer?)? {
        let start = DispatchTime.now().uptimeNanoseconds
        let fields = request.headerFields
        guard request.method == .get, let path = request.path, let flight = Self.flight(readBy: path),
              fields[.connection].map({ $0.lowercased() == "keep-alive" }) ?? true
        else { return nil }
        var identity: Identity?
        if let authorization = fields[.authorization] {
            guard let hash = Tokens.bearerHash(authorization),
                  let known = environment.knownIdentity(tokenHash: hash) else { return nil }
            identity = known
        }
        guard let entry = environment.seatMaps.cachedEntry(for: flight) else { return nil }
        var limits: HTTPFields = [:]
        if let guardian = environment.abuseGuard, identity != .admin {
            let client = guardian.client(identity: identity, peer: peer, forwardedFor: fields[.xForwardedFor])
            guard case .allowed(let remaining)? = guardian.admit(client, seatMap: flight.rawValue, at: environment.clock.now())
            else { return nil }
            limits = guardian.rateLimitHeaders(remaining: remaining)
        }
        let span = environment.seatMapTraces?.span(for: fields)
        var (head, body) = entry.encodedAnswer(ifNoneMatch: fields[.ifNoneMatch])
        for field in limits { head.append(field.name, field.value) }
        head.append(RequestIDMiddleware.header, RequestIDMiddleware.chosen(by: fields) ?? RequestID().description)
        head.append(.date, dates.now)
        if let serverName { head.append(.server, serverName) }
        environment.requestMetrics.record(route: AbuseGuardMiddleware.seatMapRoute, method: "GET",
                                          status: head.status.code, since: start)
        environment.seatMapTraces?.end(span, status: head.status.code)
        return (head.finished(), body)
    }

    /// The flight in `/flights/{flightId}/seatmap`, with or without a query; read byte by byte.
    static func flight(readBy path: String) -> FlightID? {
        let utf8 = path.utf8
        let route = utf8[..<(utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex)]
        let (prefix, suffix) = ("/flights/".utf8, "/seatmap".utf8)
        guard route.count > prefix.count + suffix.count, route.starts(with: prefix),
              route.suffix(suffix.count).elementsEqual(suffix) else { return nil }
        return FlightID(String(Substring(route.dropFirst(prefix.count).dropLast(suffix.count))))
    }
}
