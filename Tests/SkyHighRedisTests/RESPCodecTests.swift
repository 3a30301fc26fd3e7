import NIOCore
import NIOEmbedded
import SkyHighRedis
import Testing

/// The encoder and the incremental parser, with no server.
@Suite struct RESPCodecTests {
    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func encoded(_ value: RESPValue) -> String {
        var buffer = ByteBuffer()
        RESPEncoder.encode(value, into: &buffer)
        return String(buffer: buffer)
    }

    /// Every value in `text`, parsed in one go; fails if bytes are left over.
    func parseAll(_ text: String, limits: RESPParser.Limits = .init()) throws -> [RESPValue] {
        var parser = RESPParser(limits: limits)
        var buffer = bytes(text)
        var values: [RESPValue] = []
        while let value = try parser.next(from: &buffer) { values.append(value) }
        #expect(buffer.readableBytes == 0, "bytes left over")
        return values
    }

    @Test func aCommandIsAnArrayOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPEncoder.encode(RedisCommand("INCRBY", "rate:10.0.0.1", 5), into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$6\r\nINCRBY\r\n$13\r\nrate:10.0.0.1\r\n$1\r\n5\r\n")
    }

    @Test func bulkStringsAreBinarySafe() throws {
        let payload: [UInt8] = [0, 13, 10, 255, 36, 42]
        var buffer = ByteBuffer()
        RESPEncoder.encode(RedisCommand("SET", "k", payload), into: &buffer)
        var parser = RESPParser()
        let value = try #require(try parser.next(from: &buffer))
        #expect(value == .array([.bulk("SET"), .bulk("k"), .bulkString(ByteBuffer(bytes: payload))]))
    }

    @Test func everyKindOfValueEncodesAsRedisSendsIt() {
        #expect(encoded(.simpleString("OK")) == "+OK\r\n")
        #expect(encoded(.error("ERR unknown command")) == "-ERR unknown command\r\n")
        #expect(encoded(.integer(-42)) == ":-42\r\n")
        #expect(encoded(.bulk("")) == "$0\r\n\r\n")
        #expect(encoded(.bulkString(nil)) == "$-1\r\n")
        #expect(encoded(.array([])) == "*0\r\n")
        #expect(encoded(.array(nil)) == "*-1\r\n")
        #expect(encoded(.array([.integer(1), .array([.bulk("a"), .bulkString(nil)])]))
            == "*2\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n")
        // A line break would end the frame early.
        #expect(encoded(.simpleString("two\r\nlines")) == "+two  lines\r\n")
    }

    @Test func everyKindOfValueRoundTrips() throws {
        let values: [RESPValue] = [
            .simpleString("PONG"), .error("WRONGTYPE Operation against a key"), .integer(Int64.min),
            .integer(Int64.max), .bulk("héllo"), .bulk(""), .bulkString(nil), .array(nil), .array([]),
            .array([.array([.array([.integer(3)])]), .bulkString(nil), .simpleString("x")]),
        ]
        var buffer = ByteBuffer()
        for value in values { RESPEncoder.encode(value, into: &buffer) }
        #expect(try parseAll(String(buffer: buffer)) == values)
    }

    @Test func repliesSplitAtEveryByteAreParsedOnceComplete() throws {
        let text = "+OK\r\n:12\r\n$5\r\nhello\r\n*3\r\n$1\r\na\r\n*-1\r\n*2\r\n:1\r\n$-1\r\n-ERR no\r\n"
        let expected: [RESPValue] = [
            .simpleString("OK"), .integer(12), .bulk("hello"),
            .array([.bulk("a"), .array(nil), .array([.integer(1), .bulkString(nil)])]), .error("ERR no"),
        ]
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for byte in text.utf8 {
            buffer.writeInteger(byte)
            while let value = try parser.next(from: &buffer) { values.append(value) }
        }
        #expect(values == expected)
        #expect(buffer.readableBytes == 0)
    }

    @Test func anIncompleteValueConsumesNothing() throws {
        var parser = RESPParser()
        for partial in ["+OK", "+OK\r", ":1", "$5\r\nhel", "$5\r\nhello\r", "$5", "*2\r\n:1\r\n"] {
            var buffer = bytes(partial)
            let before = buffer.readerIndex
            // Only an array's finished elements are taken (and kept by the parser); nothing else.
            let value = try parser.next(from: &buffer)
            #expect(value == nil, "\(partial.debugDescription)")
            if !partial.hasPrefix("*") { #expect(buffer.readerIndex == before, "\(partial.debugDescription)") }
            parser = RESPParser()
        }
    }

    @Test func aLongArrayArrivingInChunksIsAssembledInOrder() throws {
        var wire = ByteBuffer()
        let elements = (0..<5000).map { RESPValue.bulk("value-\($0)") }
        RESPEncoder.encode(.array(elements), into: &wire)
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var result: RESPValue?
        while wire.readableBytes > 0 {
            var chunk = wire.readSlice(length: min(997, wire.readableBytes)) ?? ByteBuffer()
            buffer.writeBuffer(&chunk)
            if let value = try parser.next(from: &buffer) { result = value }
        }
        #expect(result == .array(elements))
    }

    @Test func aBigBulkStringArrivesInPieces() throws {
        let big = String(repeating: "0123456789abcdef", count: 1 << 16) // 1 MiB
        var wire = ByteBuffer()
        RESPEncoder.encode(.bulk(big), into: &wire)
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var result: RESPValue?
        while wire.readableBytes > 0 {
            var chunk = wire.readSlice(length: min(65_536, wire.readableBytes)) ?? ByteBuffer()
            buffer.writeBuffer(&chunk)
            if let value = try parser.next(from: &buffer) { result = value }
        }
        #expect(result?.bytes?.readableBytes == big.utf8.count)
        #expect(result?.string == big)
    }

    @Test func conveniencesReadTheUsualShapes() {
        #expect(RESPValue.bulk("17").integer == 17)
        #expect(RESPValue.integer(3).integer == 3)
        #expect(RESPValue.bulk("x").integer == nil)
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(RESPValue.bulkString(nil).isNull && RESPValue.array(nil).isNull)
        #expect(!RESPValue.bulk("").isNull)
        #expect(RESPValue.array([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.error("ERR x").errorMessage == "ERR x")
    }

    /// Bad input and the error it must raise; named by the input with its line ends escaped.
    struct Malformed: Sendable, CustomTestStringConvertible {
        let input: String
        let expected: RESPProtocolError
        var testDescription: String { input.debugDescription }
    }

    static let malformed: [Malformed] = [
        Malformed(input: "!oops\r\n", expected: .unknownType(UInt8(ascii: "!"))),
        Malformed(input: ":12x\r\n", expected: .invalidInteger("12x")),
        Malformed(input: ":99999999999999999999\r\n", expected: .invalidInteger("99999999999999999999")),
        Malformed(input: "$-2\r\n", expected: .invalidLength("-2")),
        Malformed(input: "$abc\r\n", expected: .invalidLength("abc")),
        Malformed(input: "*1x\r\n", expected: .invalidLength("1x")),
        Malformed(input: "$3\r\nabcXY", expected: .missingLineEnd),
        Malformed(input: "+OK\rX", expected: .missingLineEnd),
        Malformed(input: "+" + String(repeating: "a", count: 100), expected: .lineTooLong(limit: 64)),
        Malformed(input: "$1000\r\n", expected: .bulkStringTooLong(length: 1000, limit: 100)),
        Malformed(input: "*1000\r\n", expected: .arrayTooLong(count: 1000, limit: 100)),
        Malformed(input: String(repeating: "*1\r\n", count: 5) + ":1\r\n", expected: .nestedTooDeep(limit: 4)),
    ]

    @Test(arguments: malformed)
    func malformedInputIsATypedProtocolError(_ malformed: Malformed) {
        let limits = RESPParser.Limits(maximumBulkStringLength: 100, maximumArrayCount: 100,
                                       maximumDepth: 4, maximumLineLength: 64)
        #expect(throws: malformed.expected) {
            _ = try parseAll(malformed.input, limits: limits)
        }
    }

    @Test func theDecoderPassesOneValuePerReplyAndRaisesProtocolErrors() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(bytes("+OK\r\n:1"))
        #expect(try channel.readInbound(as: RESPValue.self) == .simpleString("OK"))
        #expect(try channel.readInbound(as: RESPValue.self) == nil)
        try channel.writeInbound(bytes("\r\n$-1\r\n"))
        #expect(try channel.readInbound(as: RESPValue.self) == .integer(1))
        #expect(try channel.readInbound(as: RESPValue.self) == .bulkString(nil))
        #expect(throws: RESPProtocolError.unknownType(UInt8(ascii: "?"))) {
            try channel.writeInbound(bytes("?\r\n"))
        }
        _ = try? channel.finish()
    }
}
