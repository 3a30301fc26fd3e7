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
            let answer = map.answer(ifNoneMatch: request.headers[.ifNoneMatch])
            return Response(status: answer.head.status, headers: answer.head.headerFields,
                            body: answer.body.map { ResponseBody(byteBuffer: $0) } ?? ResponseBody())
        }
    }
}
