import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
@testable import SkyHighAPI
import SkyHighCore
import SkyHighTestSupport
import Testing

/// The seat-map fast path in a connection's real pipeline (NIO's HTTP codec, the HTTP types
/// codec, the fast path), with a stand-in for Hummingbird at the end that records what reaches
/// it. Bytes go in and come out as a client sees them.
@Suite struct SeatMapFastPathTests {
    static let adminToken = "admin-token-for-fast-path-tests"
    static let read = "GET /flights/SH100/seatmap HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test func aWarmSeatMapIsAnsweredOnTheEventLoopWithTheRoutersHeaders() async throws {
        try await withWarmSeatMap { env, entry in
            let wire = try Wire(env)
            try wire.send(Self.read)
            let answer = try wire.written()
            #expect(wire.passedOn.heads.isEmpty)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
            for header in ["ETag: \(entry.etag)", "Cache-Control: no-cache", "Content-Type: application/json",
                           "Content-Length: \(entry.body.readableBytes)", "Server: SkyHigh", "Date: "] {
                #expect(answer.contains("\r\n\(header)"), "\(header)")
            }
            #expect(answer.hasSuffix("\r\n\r\n" + String(buffer: entry.body)))
            #expect(answer.range(of: #"X-Request-Id: [0-9a-f]{16,}\r\n"#, options: .regularExpression) != nil)
        }
    }

    @Test func aMatchingETagIs304AndAClientsRequestIdIsKept() async throws {
        try await withWarmSeatMap { env, entry in
            let wire = try Wire(env)
            try wire.send("GET /flights/SH100/seatmap?lang=en HTTP/1.1\r\nIf-None-Match: \"other\", W/\(entry.etag)\r\n"
                          + "X-Request-Id: trace-42\r\n\r\n")
            let answer = try wire.written()
            #expect(answer.hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
            #expect(answer.contains("\r\nX-Request-Id: trace-42\r\n"))
            #expect(!answer.contains("Content-Type"))
            #expect(answer.hasSuffix("\r\n\r\n"))
            #expect(wire.passedOn.heads.isEmpty)
        }
    }

    /// Whatever memory cannot settle goes to the router, untouched.
    @Test func everythingElseIsPassedOn() async throws {
        try await withWarmSeatMap { env, _ in
            let wire = try Wire(env)
            let passed = [
                "GET /flights/SH999/seatmap HTTP/1.1\r\n\r\n",  // not in memory
                "GET /flights/sh100/seatmap HTTP/1.1\r\n\r\n",  // not a flight id
                "GET /flights/SH100/seatmap/ HTTP/1.1\r\n\r\n",
                "GET /flights/SH100 HTTP/1.1\r\n\r\n",
                "HEAD /flights/SH100/seatmap HTTP/1.1\r\n\r\n",
                "GET /flights/SH100/seatmap HTTP/1.1\r\nAuthorization: Bearer unknown\r\n\r\n",  // the store must say
                "GET /flights/SH100/seatmap HTTP/1.1\r\nAuthorization: Basic abc\r\n\r\n",
                "GET /flights/SH100/seatmap HTTP/1.1\r\nConnection: close\r\n\r\n",
            ]
            for (index, request) in passed.enumerated() {
                try wire.send(request)
                #expect(wire.passedOn.heads.count == index + 1, "\(request)")
                wire.passedOn.answer(.ok)
            }
            #expect(try !wire.written().contains("ETag"))
        }
    }

    /// While an earlier request is with the router, later ones queue behind it, so a pipelining
    /// client gets its answers in order.
    @Test func answersKeepTheirOrderWhenAClientPipelines() async throws {
        try await withWarmSeatMap { env, _ in
            let wire = try Wire(env)
            try wire.send("GET /health/live HTTP/1.1\r\n\r\n" + Self.read)
            #expect(wire.passedOn.heads.map(\.path) == ["/health/live", "/flights/SH100/seatmap"])
            #expect(try wire.written().isEmpty)
            wire.passedOn.answer(.noContent)
            wire.passedOn.answer(.accepted)
            try wire.send(Self.read)
            #expect(wire.passedOn.heads.count == 2)
            let answers = try wire.written().components(separatedBy: "HTTP/1.1 ").filter { !$0.isEmpty }.map { $0.prefix(3) }
            #expect(answers == ["204", "202", "200"])
        }
    }

    @Test func signedInReadsAreServedFromTheSessionCacheAndCountedAgainstTheBooking() async throws {
        let guardian = AbuseGuard(policy: AbusePolicy(ratePerSecond: 1, burst: 2, seatMapLimit: 50))
        try await withWarmSeatMap(guardian: guardian) { env, _ in
            let booking = BookingReference("FAST01")!
            env.sessions.remember(Tokens.hash("passenger-token"), booking: booking, at: env.clock.now())
            let wire = try Wire(env)
            let signedIn = "GET /flights/SH100/seatmap HTTP/1.1\r\nAuthorization: Bearer passenger-token\r\n\r\n"
            try wire.send(signedIn)
            #expect(try wire.written().contains("\r\nRateLimit-Remaining: 1\r\n"))
            try wire.send(signedIn)
            #expect(try wire.written().contains("\r\nRateLimit-Remaining: 0\r\n"))
            // The bucket is empty: the router answers the 429, and the guard saw one refusal, not two.
            try wire.send(signedIn)
            #expect(wire.passedOn.heads.count == 1)
            #expect(guardian.check(clientKey: "booking:\(booking)", address: "127.0.0.1", byAddress: false,
                                   seatMap: "SH100", at: env.clock.now()) == .limited(retryAfter: 1))
            wire.passedOn.answer(.tooManyRequests)
            // The admin is never throttled, and the passenger's bucket is not the address's.
            try wire.send("GET /flights/SH100/seatmap HTTP/1.1\r\nAuthorization: Bearer \(Self.adminToken)\r\n\r\n")
            try wire.send(Self.read)
            let last = try wire.written()
            #expect(last.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            #expect(last.contains("\r\nRateLimit-Remaining: 1\r\n"))
            #expect(wire.passedOn.heads.count == 1)
        }
    }

    @Test func theDateHeaderIsAnIMFFixdate() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(1_795_590_000) == "Wed, 25 Nov 2026 07:00:00 GMT")
    }

    // MARK: Helpers

    /// A store with flight SH100 whose seat map is already in memory.
    func withWarmSeatMap(guardian: AbuseGuard? = nil,
                         _ body: @Sendable (APIEnvironment, SeatMapCache.Entry) throws -> Void) async throws {
        try await withStore(.sqlite) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let env = APIEnvironment(store: store, clock: fixtures.clock, holdDuration: 120, adminToken: Self.adminToken,
                                     abuseGuard: guardian)
            let entry = try #require(try await env.seatMaps.entry(for: FlightID("SH100")!))
            try body(env, entry)
        }
    }
}

/// One connection's pipeline on an embedded channel; used from one thread, without awaiting.
/// With `guarded`, a ``ConnectionGuard`` sits before the fast path as `skyHighServer` puts it, and
/// the channel is connected, so the guard's clock (the embedded loop's) starts.
struct Wire {
    let channel = EmbeddedChannel()
    let passedOn = PassedOn()

    init(_ env: APIEnvironment, guarded: ConnectionSettings? = nil, gate: ConnectionGate? = nil) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        if let guarded {
            try pipeline.addHandler(ConnectionGuard(settings: guarded, gate: gate ?? ConnectionGate(limit: guarded.maxConnections)))
        }
        try pipeline.addHandler(SeatMapFastPath(reads: DirectSeatMapReads(environment: env, serverName: "SkyHigh")))
        try pipeline.addHandler(passedOn)
        if guarded != nil { try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait() }
    }

    /// Moves the embedded loop's clock, running what falls due.
    func advance(_ duration: Duration) {
        channel.embeddedEventLoop.advanceTime(by: TimeAmount(duration))
    }

    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// What went out on the socket since the last call.
    func written() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }
}

/// Stands in for Hummingbird: records the requests that reach it and answers when told.
final class PassedOn: ChannelInboundHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart
    private(set) var heads: [HTTPRequest] = []
    private(set) var bodyBytes = 0
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): heads.append(head)
        case .body(let body): bodyBytes += body.readableBytes
        case .end: break
        }
    }

    func answer(_ status: HTTPResponse.Status) {
        guard let context else { return }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: [.contentLength: "0"]))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
