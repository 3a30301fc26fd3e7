import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization
import SkyHighCore

extension RouteTable {
    /// `GET /flights/{flightId}/seatmap/events`: Server-Sent Events, one `seat` event per change
    /// (`id` is the seat-map version). Without `Last-Event-ID` the stream starts with a `snapshot`
    /// event (the whole seat map); with it, it resumes after that version, or sends a snapshot
    /// when the gap is too old. A comment line every `heartbeat` keeps proxies from closing it.
    mutating func addSeatEventRoutes(_ env: APIEnvironment, heartbeat: Duration = .seconds(15)) {
        add(.get, "/flights/{flightId}/seatmap/events") { request, context in
            let flightID = try context.flightID()
            guard let snapshot = try await env.seatMaps.entry(for: flightID) else { throw DomainError.flightNotFound(flightID) }
            let resumeFrom = request.headers[.lastEventID].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            let hub = env.seatChanges
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache",
                                       .init("X-Accel-Buffering")!: "no"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                var cursor = resumeFrom ?? snapshot.version
                let (id, wakes) = hub.follow(flightID, from: snapshot.version)
                defer { hub.unfollow(flightID, id: id) }
                if resumeFrom == nil || resumeFrom! > snapshot.version {
                    try await writer.write(Self.sse(event: "snapshot", id: snapshot.version, data: snapshot.body))
                    cursor = snapshot.version
                }
                // A graceful shutdown ends the stream (clients reconnect with Last-Event-ID).
                let ending = Flag()
                try await withGracefulShutdownHandler {
                    while !Task.isCancelled && !ending.isSet {
                        switch try await hub.changes(flightID, after: cursor) {
                        case .changes(let changes):
                            for change in changes {
                                try await writer.write(Self.sse(event: "seat", id: change.version,
                                                                data: ByteBuffer(bytes: try JSONBody.encoder.encode(change))))
                                cursor = change.version
                            }
                        case .gap:
                            guard let fresh = try await env.seatMaps.entry(for: flightID) else { return }
                            try await writer.write(Self.sse(event: "snapshot", id: fresh.version, data: fresh.body))
                            cursor = fresh.version
                        }
                        if await !wakes.wait(upTo: heartbeat), !ending.isSet {
                            try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        }
                    }
                } onGracefulShutdown: {
                    ending.set()
                    wakes.signal()
                }
                try await writer.finish(nil)
            })
        }
    }

    static func sse(event: String, id: Int64, data: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer(string: "id: \(id)\nevent: \(event)\ndata: ")
        var data = data
        buffer.writeBuffer(&data)
        buffer.writeString("\n\n")
        return buffer
    }
}

/// Set once, read anywhere.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
