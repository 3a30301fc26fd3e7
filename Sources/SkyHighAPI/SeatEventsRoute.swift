import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    /// `GET /flights/{flightId}/seatmap/events`: Server-Sent Events, one `seat` event per change
    /// (`id` is the seat-map version). Without `Last-Event-ID` the stream starts with a `snapshot`
    /// event (the whole seat map); with it, it resumes after that version, or sends a snapshot
    /// when the gap is too old. See `SeatEventStream` for the heartbeat and slow clients.
    mutating func addSeatEventRoutes(_ env: APIEnvironment) {
        add(.get, "/flights/{flightId}/seatmap/events") { request, context in
            let flightID = try context.flightID()
            guard let snapshot = try await env.seatMaps.entry(for: flightID) else { throw DomainError.flightNotFound(flightID) }
            // Versions start at 0; anything else is no usable id, and the stream starts afresh.
            let resumeFrom = request.headers[.lastEventID]
                .flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
            let stream = SeatEventStream(env: env, flight: flightID, channel: context.channel, logger: context.logger)
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                       .init("X-Accel-Buffering")!: "no"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await stream.run(from: snapshot, resumingAfter: resumeFrom, writer: &writer)
            })
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
