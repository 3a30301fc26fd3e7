import NIOCore

/// Writes RESP2. Pure: no I/O, no state.
public enum RESPEncoder {
    /// Appends `command` as Redis expects a command: an array of bulk strings.
    public static func encode(_ command: RedisCommand, into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "*"), command.parts.count, into: &buffer)
        for part in command.parts {
            writeBulkString(part, into: &buffer)
        }
    }

    /// Appends any value (a command is an array of bulk strings; other kinds are for servers and tests).
    ///
    /// Simple strings and errors cannot carry line breaks, which would end the frame early: CR and
    /// LF in them are written as spaces.
    public static func encode(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let text):
            writeLine(UInt8(ascii: "+"), text, into: &buffer)
        case .error(let message):
            writeLine(UInt8(ascii: "-"), message, into: &buffer)
        case .integer(let number):
            writeHeader(UInt8(ascii: ":"), number, into: &buffer)
        case .bulkString(nil):
            writeHeader(UInt8(ascii: "$"), -1, into: &buffer)
        case .bulkString(let bytes?):
            writeBulkString(bytes, into: &buffer)
        case .array(nil):
            writeHeader(UInt8(ascii: "*"), -1, into: &buffer)
        case .array(let elements?):
            writeHeader(UInt8(ascii: "*"), elements.count, into: &buffer)
            for element in elements {
                encode(element, into: &buffer)
            }
        }
    }

    static let lineEnd: StaticString = "\r\n"

    private static func writeBulkString(_ bytes: ByteBuffer, into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "$"), bytes.readableBytes, into: &buffer)
        buffer.writeImmutableBuffer(bytes)
        buffer.writeStaticString(lineEnd)
    }

    private static func writeHeader(_ type: UInt8, _ number: some BinaryInteger, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        buffer.writeString(String(number))
        buffer.writeStaticString(lineEnd)
    }

    private static func writeLine(_ type: UInt8, _ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        for byte in text.utf8 {
            buffer.writeInteger(byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") ? UInt8(ascii: " ") : byte)
        }
        buffer.writeStaticString(lineEnd)
    }
}
