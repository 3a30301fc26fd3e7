import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    /// `GET /flights/{flightId}/seatmap/events`: Server-Sent Events, one `seat` event per change
    /// (`id` is the seat-map version). Without `Last-Event-ID` the stream starts with a `snapshot`
    /// event (the whole seat map); with it, it resumes after that version, or sends a snapshot
    /// when the gap is too old. See `SeatEventStream` for the heartbeat and slow clients.
    /// Opening one is a seat-map read to the abuse guard, and each client may hold only so many
    /// open (``StreamLimits``): past that, or past the instance's limit, 429.
    mutating func addSeatEventRoutes(_ env: APIEnvironment) {
        add(.get, "/flights/{flightId}/seatmap/events") { request, context in
            let flightID = try context.flightID()
            guard let snapshot = try await env.seatMaps.entry(for: flightID) else { throw DomainError.flightNotFound(flightID) }
            let slot = try env.streamSlot(for: context)
            // The slot is free the moment the client goes, not only when the stream next writes.
            context.channel.closeFuture.whenComplete { _ in slot.release() }
            // Versions start at 0; anything else is no usable id, and the stream starts afresh.
            let resumeFrom = request.headers[.lastEventID]
                .flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
            let stream = SeatEventStream(env: env, flight: flightID, channel: context.channel, logger: context.logger)
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                       .init("X-Accel-Buffering")!: "no"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer { slot.release() }
                try await stream.run(from: snapshot, resumingAfter: resumeFrom, writer: &writer)
            })
        }
    }
}

extension APIEnvironment {
    /// How long a client refused a stream is asked to wait.
    static let streamRetryAfter = 10

    /// A slot for the request's client (as the guard counted it), or 429.
    func streamSlot(for context: AppRequestContext) throws -> StreamSlot {
        let client = context.abuseClient
        let key = client?.key ?? context.clientKey
        let exempt = client.map { $0.byAddress && abuseGuard?.isAllowlisted($0.address) == true } ?? false
        do {
            return try streams.take(for: key, exempt: exempt)
        } catch {
            let detail = error == .client
                ? "at most \(streamLimits.perClient) live streams may be open per client; close one first"
                : "this server holds as many live streams as it can; try again shortly"
            throw Problem("too-many-streams", .tooManyRequests, "Too many live streams", detail,
                          headers: [.retryAfter: "\(Self.streamRetryAfter)"])
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
