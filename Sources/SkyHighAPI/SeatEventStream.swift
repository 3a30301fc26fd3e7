import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SkyHighCore
import Synchronization

/// One client's live seat changes: follows the flight in the hub and writes what it hears as
/// Server-Sent Events. Nothing is queued for the client: the stream keeps a cursor (the last
/// version sent) and one write at a time. A write the client has not taken within
/// `slowClientLimit` closes the connection, so a client that stops reading is dropped instead of
/// holding a stream open; it may reconnect with `Last-Event-ID`.
///
/// A heartbeat comment goes out once `heartbeat` has passed since the last write of any kind.
/// Wake-ups that bring nothing new (the seat-map reconcile wakes every stream every few seconds)
/// do not put it off, so a quiet stream still writes, and a client that has gone away is found
/// by that write: the connection closes, and the stream ends as soon as it does.
struct SeatEventStream: Sendable {
    let env: APIEnvironment
    let flight: FlightID
    let channel: any Channel
    let logger: Logger

    func run(from snapshot: SeatMapCache.Entry, resumingAfter resumeFrom: Int64?,
             writer: inout any ResponseBodyWriter) async throws {
        let hub = env.seatChanges
        let (id, wakes) = hub.follow(flight, from: snapshot.version)
        DomainMetrics.seatEventStreamOpened()
        defer {
            hub.unfollow(flight, id: id)
            DomainMetrics.seatEventStreamClosed()
        }
        var cursor = resumeFrom ?? snapshot.version
        var lastWrite = ContinuousClock.now
        if resumeFrom == nil || cursor > snapshot.version {
            try await send(Self.event("snapshot", id: snapshot.version, data: snapshot.body), to: &writer, at: &lastWrite)
            cursor = snapshot.version
        }
        // A graceful shutdown ends the stream (clients reconnect with Last-Event-ID), and so does
        // the connection's end: nothing is left to write to.
        let ending = Flag()
        let closed = Flag()
        channel.closeFuture.whenComplete { _ in
            closed.set()
            wakes.signal()
        }
        let heartbeat = env.liveEvents.heartbeat
        try await withGracefulShutdownHandler {
            while !Task.isCancelled && !ending.isSet && !closed.isSet {
                switch try await hub.changes(flight, after: cursor) {
                case .changes(let changes):
                    for change in changes {
                        let data = ByteBuffer(bytes: try JSONBody.encoder.encode(change))
                        try await send(Self.event("seat", id: change.version, data: data), to: &writer, at: &lastWrite)
                        cursor = change.version
                    }
                case .gap:
                    guard let fresh = try await env.seatMaps.entry(for: flight) else { return }
                    try await send(Self.event("snapshot", id: fresh.version, data: fresh.body), to: &writer, at: &lastWrite)
                    cursor = fresh.version
                }
                let quiet = ContinuousClock.now - lastWrite
                // Woken before the heartbeat is due: look for news, then wait out the rest.
                if quiet < heartbeat, await wakes.wait(upTo: heartbeat - quiet) { continue }
                if !ending.isSet, !closed.isSet {
                    try await send(ByteBuffer(string: ": heartbeat\n\n"), to: &writer, at: &lastWrite)
                }
            }
        } onGracefulShutdown: {
            ending.set()
            wakes.signal()
        }
        if closed.isSet { return }
        try await writer.finish(nil)
    }

    /// Writes `buffer` and notes when, or closes the connection if the client has not taken it
    /// in time (which fails the write and so ends the stream).
    private func send(_ buffer: ByteBuffer, to writer: inout any ResponseBodyWriter,
                      at lastWrite: inout ContinuousClock.Instant) async throws {
        let (channel, flight, logger) = (self.channel, self.flight, self.logger)
        let drop = channel.eventLoop.scheduleTask(in: TimeAmount(env.liveEvents.slowClientLimit)) {
            logger.notice("seat-event client stopped reading, connection closed", metadata: ["flight": "\(flight)"])
            DomainMetrics.seatEventStreamDropped()
            channel.close(promise: nil)
        }
        defer { drop.cancel() }
        try await writer.write(buffer)
        lastWrite = .now
    }

    static func event(_ name: String, id: Int64, data: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer(string: "id: \(id)\nevent: \(name)\ndata: ")
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
