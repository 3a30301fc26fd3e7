import NIOCore
import SkyHighRedis
import Testing

/// Building commands, and the commands the shared connection refuses before sending.
@Suite struct RedisCommandTests {
    @Test func argumentsOfEveryKindBecomeBulkStrings() {
        let command = RedisCommand("ZADD", "board", 1.5, Int64(-2), UInt64(3), ByteBuffer(string: "m"),
                                   [UInt8(0x41)], "ab".dropFirst())
        #expect(command.parts.map { String(buffer: $0) } == ["ZADD", "board", "1.5", "-2", "3", "m", "A", "b"])
        #expect(command.name == "ZADD")
        #expect(command.description == "ZADD (7 arguments)")
    }

    @Test func anArrayLiteralIsACommand() {
        let commands: [RedisCommand] = [["incrby", "k", 5], ["PEXPIRE", "k", 60_000]]
        #expect(commands[0] == RedisCommand("incrby", "k", 5))
        #expect(commands[0].name == "INCRBY")
    }

    static let refused: [RedisCommand] = [
        [], ["select", 2], ["AUTH", "pw"], ["SUBSCRIBE", "ch"], ["MONITOR"], ["HELLO", 3], ["QUIT"],
        ["BLPOP", "q", 0], ["WATCH", "k"], ["CLIENT", "reply", "off"],
    ]

    @Test(arguments: refused)
    func commandsThatWouldBreakTheSharedConnectionAreRefused(_ command: RedisCommand) async {
        let client = RedisClient(settings: RedisConnectionSettings())
        await #expect {
            _ = try await client.send(command)
        } throws: { error in
            guard case RedisError.invalidCommand = error else { return false }
            return true
        }
    }

    @Test func aTransactionMustCloseWithinItsPipeline() async throws {
        let client = RedisClient(settings: RedisConnectionSettings())
        await #expect(throws: RedisError.invalidCommand("MULTI must be closed by EXEC or DISCARD in the same pipeline")) {
            _ = try await client.pipeline([["MULTI"], ["INCR", "k"]])
        }
        // A closed one passes the check and fails only for want of a connection.
        await #expect(throws: RedisError.unavailable) {
            _ = try await client.pipeline([["MULTI"], ["INCR", "k"], ["EXEC"]])
        }
    }

    @Test func aClientThatHasNotConnectedFailsAtOnce() async throws {
        let client = RedisClient(settings: RedisConnectionSettings())
        #expect(client.state == .idle)
        #expect(!client.isConnected)
        await #expect(throws: RedisError.unavailable) {
            _ = try await client.send("PING")
        }
        #expect(try await client.pipeline([]) == [])
    }
}
