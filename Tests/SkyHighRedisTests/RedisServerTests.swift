import NIOCore
import SkyHighRedis
import SkyHighTestSupport
import Testing

/// Without redis-server these tests are skipped; CI sets SKYHIGH_REQUIRE_REDIS=1 and then a
/// missing redis-server fails the run instead.
@Suite struct RedisServerRequirementTests {
    @Test func theRedisTestsRunWhenRequired() {
        if RedisServerProcess.required {
            #expect(RedisServerProcess.isInstalled,
                    "SKYHIGH_REQUIRE_REDIS=1 but redis-server is not on PATH (apt-get install -y redis-server)")
        }
    }
}

/// Commands, pipelines, error replies, SELECT and AUTH against a real redis-server.
@Suite(.enabled(if: RedisServerProcess.isInstalled,
                "redis-server is not on PATH: install it (apt-get install -y redis-server) to run these"))
struct RedisServerTests {
    @Test func countersWindowsAndScriptsRoundTrip() async throws {
        try await RedisServerProcess.with { server in
            try await withRunningClient(server.settings()) { (client: RedisClient) async throws in
                #expect(await eventually { client.isConnected }, "\(client.state)")
                #expect(try await client.send("INCRBY", "rate:a", 5) == .integer(5))
                #expect(try await client.send("INCRBY", "rate:a", 2).integer == 7)
                #expect(try await client.send("PEXPIRE", "rate:a", 60_000) == .integer(1))
                let ttl = try await client.send("PTTL", "rate:a").integer ?? -1
                #expect((1...60_000).contains(ttl))
                let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
                #expect(try await client.send("EVAL", script, 1, "rate:a", 3) == .integer(10))
                #expect(try await client.send("SET", "name", "héllo") == .simpleString("OK"))
                #expect(try await client.send("MGET", "name", "missing", "rate:a")
                    == .array([.bulk("héllo"), .bulkString(nil), .bulk("10")]))
                #expect(try await client.send("GET", "missing").isNull)

                let binary = ByteBuffer(bytes: Array(0...255))
                #expect(try await client.send("SET", "blob", binary) == .simpleString("OK"))
                #expect(try await client.send("GET", "blob").bytes == binary)

                // A sliding window as the abuse rules keep one: scores are times.
                #expect(try await client.send("ZADD", "window", 1, "a", 2, "b", 3, "c") == .integer(3))
                #expect(try await client.send("ZREMRANGEBYSCORE", "window", "-inf", 1) == .integer(1))
                #expect(try await client.send("ZCARD", "window") == .integer(2))
                #expect(try await client.send("INCRBYFLOAT", "f", 0.5).string == "0.5")
            }
        }
    }

    @Test func aThousandPipelinedCommandsAnswerInOrder() async throws {
        try await RedisServerProcess.with { server in
            try await withRunningClient(server.settings()) { (client: RedisClient) async throws in
                #expect(await eventually { client.isConnected }, "\(client.state)")
                let increments = Array(repeating: RedisCommand("INCR", "counter"), count: 1000)
                let replies = try await client.pipeline(increments, timeout: .seconds(10))
                #expect(replies == (1...1000).map { RESPValue.integer(Int64($0)) })

                var mixed: [RedisCommand] = []
                for index in 0..<500 {
                    mixed.append(["SET", "key:\(index)", "value-\(index)"])
                    mixed.append(["GET", "key:\(index)"])
                }
                let answers = try await client.pipeline(mixed, timeout: .seconds(10))
                #expect(answers.count == 1000)
                for index in 0..<500 {
                    #expect(answers[2 * index] == .simpleString("OK"))
                    #expect(answers[2 * index + 1].string == "value-\(index)")
                }
            }
        }
    }

    @Test func errorRepliesAreServerErrorsAndTheConnectionStays() async throws {
        try await RedisServerProcess.with { server in
            try await withRunningClient(server.settings()) { (client: RedisClient) async throws in
                let (states, following) = Recorder.following(client)
                defer { following.cancel() }
                #expect(await eventually { client.isConnected }, "\(client.state)")
                _ = try await client.send("SET", "text", "not a number")
                let notANumber = await #expect(throws: RedisError.self) { try await client.send("INCR", "text") }
                #expect(notANumber?.description.contains("ERR value is not an integer") == true)
                let wrongType = await #expect(throws: RedisError.self) { try await client.send("LPUSH", "text", "x") }
                guard case .server(let message)? = wrongType else {
                    Issue.record("expected a server error, got \(String(describing: wrongType))")
                    return
                }
                #expect(message.hasPrefix("WRONGTYPE"))
                let unknown = await #expect(throws: RedisError.self) { try await client.send("NOSUCHCOMMAND") }
                #expect(unknown?.description.contains("unknown command") == true)

                // In a pipeline an error reply stays in its place.
                let replies = try await client.pipeline([["SET", "n", 1], ["INCR", "text"], ["INCR", "n"]])
                #expect(replies[0] == .simpleString("OK"))
                #expect(replies[1].errorMessage?.hasPrefix("ERR") == true)
                #expect(replies[2] == .integer(2))

                // A transaction in one pipeline.
                let transaction = try await client.pipeline([["MULTI"], ["INCR", "n"], ["INCR", "n"], ["EXEC"]])
                #expect(transaction.last == .array([.integer(3), .integer(4)]))

                #expect(client.isConnected)
                #expect(states.all == [.idle, .connected] || states.all == [.connected])
            }
        }
    }

    @Test func theDatabaseInTheURLIsSelected() async throws {
        try await RedisServerProcess.with { server in
            var settings = try RedisConnectionSettings(url: server.url + "/3")
            #expect(settings.database == 3)
            settings.commandTimeout = RedisServerProcess.commandTimeout
            try await withRunningClient(settings) { (third: RedisClient) async throws in
                #expect(await eventually { third.isConnected })
                _ = try await third.send("SET", "where", "three")
                #expect(try await third.send("CLIENT", "INFO").string?.contains(" db=3 ") == true)
                try await withRunningClient(server.settings()) { (zeroth: RedisClient) async throws in
                    #expect(await eventually { zeroth.isConnected })
                    #expect(try await zeroth.send("GET", "where").isNull)
                    #expect(try await zeroth.send("CLIENT", "INFO").string?.contains(" db=0 ") == true)
                }
                #expect(try await third.send("GET", "where").string == "three")
            }
        }
    }

    @Test func thePasswordInTheURLIsSentWithAUTH() async throws {
        try await RedisServerProcess.with(["--requirepass", "s3cret"]) { server in
            for url in ["redis://:s3cret@127.0.0.1:\(server.port)", "redis://default:s3cret@127.0.0.1:\(server.port)/1"] {
                var settings = try RedisConnectionSettings(url: url)
                settings.commandTimeout = RedisServerProcess.commandTimeout
                try await withRunningClient(settings) { (client: RedisClient) async throws in
                    #expect(await eventually { client.isConnected }, "\(url)")
                    #expect(try await client.send("PING") == .simpleString("PONG"))
                }
            }
            try await withRunningClient(server.settings(password: "wrong")) { (client: RedisClient) async throws in
                #expect(await eventually {
                    if case .disconnected(.setupFailed(let why)) = client.state { why.contains("WRONGPASS") } else { false }
                }, "\(client.state)")
                await #expect(throws: RedisError.unavailable) { try await client.send("PING") }
            }
            try await withRunningClient(server.settings()) { (client: RedisClient) async throws in
                #expect(await eventually {
                    if case .disconnected(.setupFailed(let why)) = client.state { why.contains("NOAUTH") } else { false }
                }, "\(client.state)")
            }
        }
    }
}
