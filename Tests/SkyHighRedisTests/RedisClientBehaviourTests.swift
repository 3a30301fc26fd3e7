import Logging
import NIOCore
import ServiceLifecycle
import SkyHighRedis
import Synchronization
import Testing

/// The client against a fake server that misbehaves on cue: late, silent, not speaking RESP,
/// hanging up. No redis-server needed.
@Suite struct RedisClientBehaviourTests {
    @Test func concurrentCallsEachGetTheirOwnReply() async throws {
        let server = try await FakeRedisServer.start { command, _ in
            .reply(.bulk(command.dropFirst().first ?? ""))
        }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let reply = try await client.send("ECHO", "value-\(index)", timeout: .seconds(5))
                        #expect(reply.string == "value-\(index)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func aSilentServerTimesOutTheCallAndTheConnectionIsReplaced() async throws {
        let received = Recorder<String>()
        let server = try await FakeRedisServer.start { command, _ in
            received.record(command[0])
            return command[0] == "SLOW" ? .silence : .reply(.bulk("fine"))
        }
        defer { Task { await server.stop() } }
        var settings = server.settings
        settings.commandTimeout = .seconds(5)
        try await withRunningClient(settings) { (client: RedisClient) async throws in
            let (states, following) = Recorder.following(client)
            defer { following.cancel() }
            #expect(await eventually { client.isConnected })

            // Long enough for the next call to be written behind it on a busy machine.
            let slow = Task { try await client.send("SLOW", timeout: .seconds(2)) }
            #expect(await eventually { received.all.contains("SLOW") })
            // Written after SLOW, so it can only be answered after it: it goes down with the connection.
            let behind = await #expect(throws: RedisError.self) {
                try await client.send("GET", "k")
            }
            #expect(behind == .connectionLost)
            let outcome = await slow.result
            #expect(throws: RedisError.timeout) { try outcome.get() }

            #expect(await eventually { states.all.contains(.disconnected(.timeout)) })
            #expect(await eventually { client.isConnected })
            #expect(try await client.send("GET", "k").string == "fine")
            // Replaced, not reused: a second connection at least (a loaded machine may time out a
            // reconnection attempt too, and make a third).
            #expect(server.connections >= 2)
        }
    }

    @Test func aTimeoutIsPromptAndDoesNotWaitForTheServer() async throws {
        let server = try await FakeRedisServer.start { _, _ in .silence }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            let (result, took) = await timed {
                await #expect(throws: RedisError.timeout) { try await client.send("GET", "k", timeout: .milliseconds(100)) }
            }
            _ = result
            #expect(took >= .milliseconds(100))
            #expect(took < .seconds(2), "took \(took)")
        }
    }

    @Test func bytesThatAreNotRESPCloseTheConnectionAndItIsReplaced() async throws {
        let server = try await FakeRedisServer.start { command, _ in
            command[0] == "BAD" ? .raw("!garbage\r\n") : .reply(.integer(7))
        }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            let (states, following) = Recorder.following(client)
            defer { following.cancel() }
            #expect(await eventually { client.isConnected })
            await #expect(throws: RedisError.protocolViolation(.unknownType(UInt8(ascii: "!")))) {
                try await client.send("BAD")
            }
            #expect(await eventually { states.all.contains { if case .disconnected(.protocolViolation) = $0 { true } else { false } } })
            #expect(await eventually { client.isConnected })
            #expect(try await client.send("INCR", "k").integer == 7)
        }
    }

    @Test func aReplyNobodyAskedForClosesTheConnection() async throws {
        let server = try await FakeRedisServer.start { command, _ in
            command[0] == "TWICE" ? .raw("+one\r\n+two\r\n") : .reply(.simpleString("OK"))
        }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            let (states, following) = Recorder.following(client)
            defer { following.cancel() }
            #expect(await eventually { client.isConnected })
            #expect(try await client.send("TWICE") == .simpleString("one"))
            let unexpected = RedisClientState.disconnected(.protocolViolation(RESPProtocolError.unexpectedReply.description))
            #expect(await eventually { states.all.contains(unexpected) })
            #expect(await eventually { client.isConnected })
            #expect(server.connections == 2)
        }
    }

    @Test func anErrorReplyIsThrownAndTheConnectionStays() async throws {
        let server = try await FakeRedisServer.start { command, _ in
            command[0] == "INCR" ? .reply(.error("ERR value is not an integer or out of range")) : .reply(.simpleString("OK"))
        }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            await #expect(throws: RedisError.server("ERR value is not an integer or out of range")) {
                try await client.send("INCR", "k")
            }
            #expect(client.isConnected)
            #expect(try await client.send("SET", "k", "v") == .simpleString("OK"))
            #expect(server.connections == 1)
        }
    }

    @Test func aCancelledCallDropsItsReplyAndTheNextCallGetsItsOwn() async throws {
        let received = Recorder<String>()
        let server = try await FakeRedisServer.start { command, _ in
            received.record(command[0])
            // Late enough that the cancellation comes first even on a busy machine.
            return command[0] == "LATE" ? .after(.seconds(1), .bulk("late")) : .reply(.bulk("mine"))
        }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            let late = Task { try await client.send("LATE", timeout: .seconds(5)) }
            #expect(await eventually { received.all.contains("LATE") })
            late.cancel()
            let outcome = await late.result
            #expect(throws: CancellationError.self) { try outcome.get() }
            #expect(try await client.send("GET", "k", timeout: .seconds(5)).string == "mine")
            #expect(server.connections == 1)
        }
    }

    @Test func commandsPastTheInFlightLimitAreRefusedUnsent() async throws {
        let received = Recorder<String>()
        let server = try await FakeRedisServer.start { command, _ in
            received.record(command[0])
            return .after(.seconds(1), .simpleString("OK"))
        }
        defer { Task { await server.stop() } }
        var settings = server.settings
        settings.maximumCommandsInFlight = 3
        try await withRunningClient(settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            await #expect(throws: RedisError.overloaded) {
                try await client.pipeline([["SET", "a", 1], ["SET", "b", 1], ["SET", "c", 1], ["SET", "d", 1]])
            }
            let first = Task { try await client.pipeline([["SET", "a", 1], ["SET", "b", 1]], timeout: .seconds(5)) }
            #expect(await eventually { received.all.count == 2 })
            await #expect(throws: RedisError.overloaded) {
                try await client.pipeline([["SET", "c", 1], ["SET", "d", 1]])
            }
            #expect(try await first.value.count == 2)
            #expect(try await client.pipeline([["SET", "c", 1], ["SET", "d", 1]], timeout: .seconds(5)).count == 2)
            // The refused pipelines never reached the server.
            #expect(received.all.count == 4)
        }
    }

    @Test func aHangUpFailsTheCallInFlightAndTheClientReconnects() async throws {
        let server = try await FakeRedisServer.start { command, _ in
            command[0] == "BYE" ? .hangUp : .reply(.simpleString("OK"))
        }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            await #expect(throws: RedisError.connectionLost) {
                try await client.send("BYE", timeout: .seconds(30))
            }
            #expect(await eventually { client.isConnected })
            #expect(try await client.send("SET", "k", 1) == .simpleString("OK"))
        }
    }

    @Test func aRefusedSetupLeavesTheClientDisconnectedSayingWhy() async throws {
        let server = try await FakeRedisServer.start { command, _ in
            command[0] == "SELECT" ? .reply(.error("ERR DB index is out of range")) : .reply(.simpleString("OK"))
        }
        defer { Task { await server.stop() } }
        var settings = server.settings
        settings.database = 99
        try await withRunningClient(settings) { (client: RedisClient) async throws in
            let expected = RedisClientState.disconnected(.setupFailed("SELECT: ERR DB index is out of range"))
            #expect(await eventually { client.state == expected })
            await #expect(throws: RedisError.unavailable) { try await client.send("GET", "k") }
        }
    }

    @Test func withNoServerCallsFailAtOnceAndRunStopsWhenCancelled() async throws {
        let closed = try await FakeRedisServer.start { _, _ in .silence }
        await closed.stop()
        let client = RedisClient(settings: closed.settings, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let (states, following) = Recorder.following(client)
        let running = Task { await client.run() }
        #expect(await eventually {
            states.all.contains { if case .disconnected(.connectFailed) = $0 { true } else { false } }
        })
        let (_, took) = await timed {
            for _ in 0..<100 {
                await #expect(throws: RedisError.unavailable) { try await client.send("GET", "k", timeout: .seconds(5)) }
            }
        }
        #expect(took < .seconds(2), "100 calls took \(took)")
        running.cancel()
        await running.value
        await following.value // the stream ends when the client stops
        #expect(client.state == .stopped)
        #expect(states.all.first == .idle && states.all.last == .stopped)
    }

    @Test func gracefulShutdownLetsCallsInFlightFinishAndReturnsNormally() async throws {
        let received = Recorder<String>()
        let server = try await FakeRedisServer.start { command, _ in
            received.record(command[0])
            return .after(.milliseconds(200), .simpleString("done"))
        }
        defer { Task { await server.stop() } }
        var settings = server.settings
        settings.commandTimeout = .seconds(5)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let client = RedisClient(settings: settings, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [client], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await eventually { client.isConnected })
            let inFlight = Task { try await client.send("SET", "k", 1) }
            #expect(await eventually { received.all.contains("SET") })
            await group.triggerGracefulShutdown()
            #expect(try await inFlight.value == .simpleString("done"))
            // group.run() returning without an error is the point: a ServiceGroup fails on a throw.
            try await tasks.next()
        }
        #expect(client.state == .stopped)
        await #expect(throws: RedisError.unavailable) { try await client.send("GET", "k") }
    }

    @Test func runningTwiceDoesNothingTheSecondTime() async throws {
        let server = try await FakeRedisServer.start { _, _ in .reply(.simpleString("OK")) }
        defer { Task { await server.stop() } }
        try await withRunningClient(server.settings) { (client: RedisClient) async throws in
            #expect(await eventually { client.isConnected })
            await client.run() // returns at once
            #expect(client.isConnected)
        }
    }
}
