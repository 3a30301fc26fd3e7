import NIOCore

/// One RESP2 value: what Redis sends back, and (as arrays of bulk strings) what it is sent.
///
/// Nulls keep the shape they have on the wire: a null bulk string is `.bulkString(nil)` and a
/// null array is `.array(nil)`, so encoding a decoded value gives the same bytes back.
public enum RESPValue: Sendable, Hashable {
    /// `+OK`: a short status line. Cannot hold CR or LF.
    case simpleString(String)
    /// `-ERR message`: an error reply. The first word is the error's kind (`ERR`, `WRONGTYPE`, ...).
    case error(String)
    /// `:42`: a signed 64-bit integer.
    case integer(Int64)
    /// `$3 foo`: binary-safe bytes; `nil` is the null bulk string (`$-1`), e.g. `GET` of a missing key.
    case bulkString(ByteBuffer?)
    /// `*2 ...`: a list of values, possibly nested; `nil` is the null array (`*-1`).
    case array([RESPValue]?)

    /// A bulk string holding `string`'s UTF-8 bytes.
    public static func bulk(_ string: String) -> RESPValue {
        .bulkString(ByteBuffer(string: string))
    }
}

extension RESPValue {
    /// The text of a simple string or a bulk string (decoded as UTF-8); `nil` for anything else.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(buffer: bytes)
        default: nil
        }
    }

    /// An integer reply, or a simple or bulk string that holds a decimal integer (as `GET` of a
    /// counter returns); `nil` for anything else.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .simpleString(let text): Int64(text)
        case .bulkString(let bytes?): Int64(String(buffer: bytes))
        default: nil
        }
    }

    /// The bytes of a bulk string; `nil` for the null bulk string and anything else.
    public var bytes: ByteBuffer? {
        if case .bulkString(let bytes?) = self { return bytes }
        return nil
    }

    /// The elements of an array; `nil` for the null array and anything else.
    public var array: [RESPValue]? {
        if case .array(let elements?) = self { return elements }
        return nil
    }

    /// Whether this is the null bulk string or the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }

    /// The message of an error reply; `nil` for anything else.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}

extension RESPValue: CustomStringConvertible {
    /// A compact rendering for logs and test failures (bulk strings as text, cut after 64 bytes).
    public var description: String {
        switch self {
        case .simpleString(let text): return "+\(text)"
        case .error(let message): return "-\(message)"
        case .integer(let value): return ":\(value)"
        case .bulkString(nil): return "$nil"
        case .bulkString(let bytes?):
            let shown = bytes.getSlice(at: bytes.readerIndex, length: min(bytes.readableBytes, 64)) ?? bytes
            let more = bytes.readableBytes > 64 ? "…(\(bytes.readableBytes) bytes)" : ""
            return "\"\(String(buffer: shown))\"\(more)"
        case .array(nil): return "*nil"
        case .array(let elements?): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
