import SkyHighRedis
import SkyHighTestSupport
import Testing

/// Redis paused, stopped, killed and started again: calls never hang, and the client finds the
/// server again by itself.
@Suite(.enabled(if: RedisServerProcess.isInstalled,
                "redis-server is not on PATH: install it (apt-get install -y redis-server) to run these"))
struct RedisOutageTests {
    @Test func aPausedServerTimesACallOutPromptlyAndTheClientRecovers() async throws {
        try await RedisServerProcess.with { server in
            try await withRunningClient(server.settings()) { (client: RedisClient) async throws in
                let (states, following) = Recorder.following(client)
                defer { following.cancel() }
                #expect(await eventually { client.isConnected })
                // Frozen until this test resumes it, not for a time that a loaded machine could
                // use up before the call is even sent.
                server.freeze()
                let (_, took) = await timed {
                    await #expect(throws: RedisError.timeout) {
                        try await client.send("GET", "k", timeout: .milliseconds(100))
                    }
                }
                #expect(took < .seconds(10), "the timeout of 100 ms took \(took)")
                #expect(await eventually { states.all.contains(.disconnected(.timeout)) })
                server.resume()
                // Back once the server is.
                #expect(await eventually { client.isConnected }, "\(client.state)")
                #expect(try await client.send("SET", "k", "v", timeout: .seconds(5)) == .simpleString("OK"))
            }
        }
    }

    @Test func aStoppedServerFailsCallsAtOnceAndARestartedOneIsFoundAgain() async throws {
        try await RedisServerProcess.with { server in
            var settings = server.settings()
            // Long enough that failing fast cannot be a timeout in disguise.
            settings.commandTimeout = .seconds(5)
            try await withRunningClient(settings) { (client: RedisClient) async throws in
                let (states, following) = Recorder.following(client)
                defer { following.cancel() }
                #expect(await eventually { client.isConnected }, "\(client.state)")
                #expect(try await client.send("SET", "k", 1) == .simpleString("OK"))

                await server.stop()
                #expect(await eventually { !client.isConnected })
                let (_, took) = await timed {
                    await withTaskGroup(of: Void.self) { group in
                        for _ in 0..<200 {
                            group.addTask {
                                await #expect(throws: RedisError.unavailable) { try await client.send("INCR", "k") }
                            }
                        }
                    }
                }
                // Each fails at once; the bound is generous so that a loaded machine cannot fail it.
                #expect(took < .seconds(10), "200 calls while Redis was down took \(took)")

                try await server.start()
                #expect(await eventually { client.isConnected }, "not reconnected: \(client.state)")
                // A new server: nothing was saved.
                #expect(try await client.send("GET", "k").isNull)
                #expect(try await client.send("INCR", "k") == .integer(1))
                // The state stream reports after the client has changed state: wait for it.
                #expect(await eventually { states.all.last == .connected }, "\(states.all)")
                let seen = states.all
                let firstLoss = seen.firstIndex { if case .disconnected(.connectionClosed) = $0 { true } else { false } }
                #expect(firstLoss != nil, "\(seen)")
            }
        }
    }

    @Test func aKilledServerFailsTheCallInFlightAtOnce() async throws {
        try await RedisServerProcess.with { server in
            try await withRunningClient(server.settings()) { (client: RedisClient) async throws in
                try await withRunningClient(server.settings()) { (pauser: RedisClient) async throws in
                    #expect(await eventually { client.isConnected && pauser.isConnected })
                    _ = try await pauser.send("CLIENT", "PAUSE", 10_000, "ALL")
                }
                // Waits on the paused server with a long timeout, until the server dies. (Should the
                // kill win the race with the write, the call finds no connection: just as quick.)
                let inFlight = Task { try await timed { try await client.send("GET", "k", timeout: .seconds(20)) } }
                await server.kill()
                let (outcome, took) = await timed { await inFlight.result }
                let error = #expect(throws: RedisError.self) { try outcome.get() }
                #expect(error == .connectionLost || error == .unavailable)
                #expect(took < .seconds(5), "the call took \(took) after the kill")
                #expect(!client.isConnected)
                await #expect(throws: RedisError.unavailable) { try await client.send("GET", "k") }
            }
        }
    }
}
