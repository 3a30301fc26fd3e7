import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore

extension RouteTable {
    mutating func addFlightRoutes(_ env: APIEnvironment) {
        add(.get, "/flights/{flightId}") { _, context in
            let flightID = try context.flightID()
            let now = env.clock.now()
            guard let flight = try await env.store.flight(flightID),
                  let map = try await env.store.seatMap(flightID, at: now)
            else { throw DomainError.flightNotFound(flightID) }
            return try JSONBody.response(FlightResponse(flight, seatMap: map))
        }

        add(.get, "/flights/{flightId}/seatmap") { request, context in
            let flightID = try context.flightID()
            guard let map = try await env.seatMaps.entry(for: flightID) else { throw DomainError.flightNotFound(flightID) }
            var headers: HTTPFields = [.eTag: map.etag, .cacheControl: "no-cache"]
            if let match = request.headers[.ifNoneMatch], Self.matches(match, map.etag) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: map.body))
        }
    }

    /// `If-None-Match` may list several tags, weak or strong, or `*`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
