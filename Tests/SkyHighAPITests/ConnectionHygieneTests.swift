import Foundation
import SkyHighAPI
import SkyHighCore
import SkyHighTestSupport
import Testing

/// What the server does with clients that send too much, too slowly, nothing at all, or too many
/// connections, over real sockets on 127.0.0.1. Settings are short; the time bounds asserted are
/// generous, so a loaded machine passes them, while a server that never acts fails them.
@Suite struct ConnectionHygieneTests {
    static let short = ConnectionSettings(idleTimeout: .seconds(1), requestTimeout: .seconds(1))
    static let sixteenMiB = 16 << 20

    /// A client that sends its whole oversized body before reading (as Python's http.client does)
    /// gets its 413 promptly, and the connection ends.
    @Test(arguments: [true, false])
    func anOversizedBodySentWholeGets413AndTheConnectionCloses(clientAsksToClose: Bool) async throws {
        try await APIHarness.run(.sqlite, mode: .live) { api in
            let port = try #require(api.client.port)
            let started = ContinuousClock.now
            let (answer, closed, sentAll) = await onOwnThread { () -> (String, Bool, Bool) in
                guard let connection = try? RawConnection(port: port) else { return ("", false, false) }
                defer { connection.close() }
                let head = "POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(Self.sixteenMiB)\r\n" + (clientAsksToClose ? "Connection: close\r\n" : "") + "\r\n"
                let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 << 10)
                var sentAll = connection.send(head)
                for _ in 0..<(Self.sixteenMiB / chunk.count) where sentAll { sentAll = connection.send(chunk) }
                let (text, closed) = connection.readUntilClosed(within: 20)
                return (text, closed, sentAll)
            }
            #expect(sentAll, "the server read the whole body")
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(answer.contains("body-too-large"))
            #expect(closed, "the server closed the connection")
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    /// A refusal decided from the head alone (no admin token) is an early answer too.
    @Test func aRefusalFromTheHeadClosesAfterTheBody() async throws {
        try await APIHarness.run(.sqlite, mode: .live) { api in
            let port = try #require(api.client.port)
            let (answer, closed) = await onOwnThread { () -> (String, Bool) in
                guard let connection = try? RawConnection(port: port) else { return ("", false) }
                defer { connection.close() }
                let body = [UInt8](repeating: UInt8(ascii: " "), count: 512 << 10)
                connection.send("POST /admin/flights HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: \(body.count)\r\n\r\n")
                connection.send(body)
                return connection.readUntilClosed(within: 20)
            }
            #expect(answer.hasPrefix("HTTP/1.1 401"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
            #expect(closed)
        }
    }

    /// A head sent a byte at a time (slow-loris) is answered 408 and closed within the request
    /// timeout, long before it could be complete; the bytes it keeps sending do not extend it.
    @Test func aSlowHeadIsAnswered408AndClosed() async throws {
        try await APIHarness.run(.sqlite, mode: .live, connections: Self.short) { api in
            let port = try #require(api.client.port)
            let head = Array("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a-very-slow-client\r\n\r\n".utf8)
            let started = ContinuousClock.now
            let (answer, closed, sent) = await onOwnThread { () -> (String, Bool, Int) in
                guard let connection = try? RawConnection(port: port) else { return ("", false, 0) }
                defer { connection.close() }
                // One byte, then up to 0.2 s for the server to say something: ~16 s for the head.
                for byte in head {
                    guard connection.send([byte]), !connection.readable(within: 0.2) else { break }
                }
                let (text, closed) = connection.readUntilClosed(within: 20)
                return (text, closed, connection.sent)
            }
            #expect(sent < head.count, "closed before the head was complete")
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(answer.contains("request-timeout"))
            #expect(closed)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    /// A body trickled after a complete head is cut off at the request timeout.
    @Test func aTrickledBodyIsCutOff() async throws {
        try await APIHarness.run(.sqlite, mode: .live, connections: Self.short) { api in
            let port = try #require(api.client.port)
            let started = ContinuousClock.now
            let (closed, sent) = await onOwnThread { () -> (Bool, Int) in
                guard let connection = try? RawConnection(port: port) else { return (false, 0) }
                defer { connection.close() }
                connection.send("POST /sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: 100\r\n\r\n")
                let headBytes = connection.sent
                for _ in 0..<100 {
                    guard connection.send(" "), !connection.readable(within: 0.2) else { break }
                }
                return (connection.readUntilClosed(within: 20).closed, connection.sent - headBytes)
            }
            #expect(closed)
            #expect(sent < 100, "closed before the body was complete")
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    /// Idle connections are closed: one that never sends anything, and one after its answer.
    @Test func idleConnectionsAreClosed() async throws {
        try await APIHarness.run(.sqlite, mode: .live, connections: Self.short) { api in
            let port = try #require(api.client.port)
            let started = ContinuousClock.now
            let (silentClosed, answer, usedClosed) = await onOwnThread { () -> (Bool, String?, Bool) in
                guard let silent = try? RawConnection(port: port), let used = try? RawConnection(port: port) else {
                    return (false, nil, false)
                }
                defer {
                    silent.close()
                    used.close()
                }
                used.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let answer = used.readAnswer(within: 10)
                return (silent.readUntilClosed(within: 20).closed, answer, used.readUntilClosed(within: 20).closed)
            }
            #expect(answer?.hasPrefix("HTTP/1.1 200") == true, "\(answer ?? "no answer")")
            #expect(silentClosed && usedClosed)
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    /// A live stream is a request in flight: it outlives the idle timeout many times over.
    @Test func aLiveStreamIsNotIdle() async throws {
        try await APIHarness.run(.sqlite, mode: .live, liveEvents: LiveEventSettings(heartbeat: .milliseconds(200)),
                                 connections: Self.short) { api in
            // Through the store: the test client's own connection may well have idled out already.
            try await Fixtures(store: api.store, clock: api.clock).flight()
            let reader = SSEReader(port: try #require(api.client.port), path: SeatEventStreamTests.path)
            try reader.start()
            defer { reader.stop() }
            // Fifteen heartbeats take at least 3 s: three idle timeouts.
            let events = await reader.events(count: 16, within: 30)
            #expect(events.count == 16)
            #expect(events.dropFirst().allSatisfy { $0.event == "heartbeat" })
            #expect(api.seatChanges.followers(of: FlightID("SH100")!) == 1, "the same stream, still followed")
        }
    }

    /// Past the limit a new connection gets 503 with `Retry-After` and is closed; a place freed
    /// is a place for the next one.
    @Test func theConnectionLimitRefusesTheExtraConnection() async throws {
        try await APIHarness.run(.sqlite, mode: .live, connections: ConnectionSettings(maxConnections: 2)) { api in
            let port = try #require(api.client.port)
            // The test client's own connection holds the first place.
            #expect(try await api.request(.get, "/health/live").status == .ok)
            let kept = try RawConnection(port: port)
            defer { kept.close() }
            let keptAnswer = await onOwnThread {
                kept.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return kept.readAnswer(within: 10)
            }
            #expect(keptAnswer?.hasPrefix("HTTP/1.1 200") == true, "\(keptAnswer ?? "no answer")")

            let (refused, closed) = await onOwnThread { () -> (String, Bool) in
                guard let extra = try? RawConnection(port: port) else { return ("", false) }
                defer { extra.close() }
                extra.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return extra.readUntilClosed(within: 20)
            }
            #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused.prefix(200))")
            #expect(refused.lowercased().contains("\r\nretry-after: 1\r\n"))
            #expect(refused.contains("too-many-connections"))
            #expect(closed)

            // The server frees the place when it sees the close: ask until it has (bounded).
            kept.close()
            let admitted = await eventually {
                let answer = await onOwnThread { () -> String? in
                    guard let next = try? RawConnection(port: port) else { return nil }
                    defer { next.close() }
                    next.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    return next.readAnswer(within: 10)
                }
                return answer?.hasPrefix("HTTP/1.1 200") == true
            }
            #expect(admitted, "a freed place admits the next connection")
        }
    }
}
