import NIOCore
@testable import SkyHighAPI
import Testing

/// The connection guard in a connection's real pipeline (NIO's HTTP codec, the guard, the
/// seat-map fast path, a stand-in for Hummingbird), on an embedded channel whose clock the test
/// moves: exact deadlines, no waiting.
@Suite struct ConnectionGuardTests {
    static let settings = ConnectionSettings(idleTimeout: .seconds(60), requestTimeout: .seconds(10))
    static let read = SeatMapFastPathTests.read

    /// Reads the fast path answers never reach Hummingbird; they still end their requests, so an
    /// idle spell starts after each and only a connection that stays quiet is closed.
    @Test func readsAnsweredInPlaceCountForTheIdleTimeout() async throws {
        try await SeatMapFastPathTests().withWarmSeatMap { env, _ in
            let wire = try Wire(env, guarded: Self.settings)
            try wire.send(Self.read)
            #expect(try wire.written().hasPrefix("HTTP/1.1 200 OK"))
            #expect(wire.passedOn.heads.isEmpty)
            wire.advance(.seconds(50))
            try wire.send(Self.read)
            #expect(try wire.written().hasPrefix("HTTP/1.1 200 OK"))
            wire.advance(.seconds(59))
            #expect(wire.channel.isActive)
            wire.advance(.seconds(1))
            #expect(!wire.channel.isActive, "60 s after the last answer")
        }
    }

    @Test func aHeadThatStopsHalfwayIsAnswered408() async throws {
        try await SeatMapFastPathTests().withWarmSeatMap { env, _ in
            let wire = try Wire(env, guarded: Self.settings)
            wire.advance(.seconds(30))
            try wire.send("GET /flights/SH100/sea")
            wire.advance(.seconds(9))
            #expect(wire.channel.isActive)
            #expect(try wire.written().isEmpty)
            wire.advance(.seconds(1))
            let answer = try wire.written()
            #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(answer)")
            #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(answer.contains("/problems/request-timeout"))
            #expect(!wire.channel.isActive, "10 s after the first byte of the head")
        }
    }

    /// An answer before its request is in gets `Connection: close`; what is left of the body is
    /// read and thrown away, and the connection closes once it is in.
    @Test func anEarlyAnswerClosesTheConnectionOnceTheBodyIsIn() async throws {
        try await SeatMapFastPathTests().withWarmSeatMap { env, _ in
            let wire = try Wire(env, guarded: Self.settings)
            try wire.send("POST /sessions HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
            #expect(wire.passedOn.heads.count == 1)
            wire.passedOn.answer(.contentTooLarge)
            let answer = try wire.written()
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(wire.channel.isActive, "the rest of the body is still on its way")
            try? wire.send("defghij")
            #expect(!wire.channel.isActive)
            #expect(wire.passedOn.bodyBytes == 3, "what came after the answer was thrown away")
        }
    }

    @Test func pastTheLimitARequestIsAnswered503AndAFreedPlaceIsTaken() async throws {
        try await SeatMapFastPathTests().withWarmSeatMap { env, _ in
            let settings = ConnectionSettings(maxConnections: 1)
            let gate = ConnectionGate(limit: 1)
            let first = try Wire(env, guarded: settings, gate: gate)
            let second = try Wire(env, guarded: settings, gate: gate)
            try second.send(Self.read)
            let refused = try second.written()
            #expect(refused.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(refused)")
            #expect(refused.lowercased().contains("\r\nretry-after: 1\r\n"))
            #expect(refused.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(refused.contains("/problems/too-many-connections"))
            #expect(second.passedOn.heads.isEmpty, "neither the fast path nor the application saw it")
            #expect(!second.channel.isActive)
            #expect(gate.count == 1)

            try first.channel.close().wait()
            #expect(gate.count == 0)
            let third = try Wire(env, guarded: settings, gate: gate)
            try third.send(Self.read)
            #expect(try third.written().hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    @Test func aSilentConnectionOverTheLimitIsClosedAfterTheLinger() async throws {
        try await SeatMapFastPathTests().withWarmSeatMap { env, _ in
            let settings = ConnectionSettings(maxConnections: 0)
            let wire = try Wire(env, guarded: settings)
            wire.advance(.milliseconds(999))
            #expect(wire.channel.isActive)
            wire.advance(.milliseconds(1))
            #expect(!wire.channel.isActive)
            #expect(try wire.written().isEmpty)
        }
    }
}
