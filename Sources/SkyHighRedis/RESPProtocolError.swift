/// Bytes from the server that are not valid RESP2, or that exceed the parser's limits.
///
/// Once one is seen the connection cannot be trusted to stay in step with its commands, so the
/// client closes it and reconnects.
public enum RESPProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The first byte of a value is none of `+ - : $ *`.
    case unknownType(UInt8)
    /// An integer line (`:`) that is not a signed 64-bit decimal.
    case invalidInteger(String)
    /// A bulk string or array length that is not a decimal of -1 or more.
    case invalidLength(String)
    /// A line or a bulk string's data not ended by CR LF.
    case missingLineEnd
    /// A line longer than the limit without its CR LF.
    case lineTooLong(limit: Int)
    /// A bulk string announced longer than the limit.
    case bulkStringTooLong(length: Int, limit: Int)
    /// An array announced with more elements than the limit.
    case arrayTooLong(count: Int, limit: Int)
    /// Arrays nested deeper than the limit.
    case nestedTooDeep(limit: Int)
    /// A reply arrived while no command was waiting for one.
    case unexpectedReply

    public var description: String {
        switch self {
        case .unknownType(let byte): "unknown RESP type byte 0x\(String(byte, radix: 16))"
        case .invalidInteger(let text): "invalid RESP integer \"\(text)\""
        case .invalidLength(let text): "invalid RESP length \"\(text)\""
        case .missingLineEnd: "RESP line or bulk string not ended by CR LF"
        case .lineTooLong(let limit): "RESP line longer than \(limit) bytes"
        case .bulkStringTooLong(let length, let limit): "RESP bulk string of \(length) bytes exceeds \(limit)"
        case .arrayTooLong(let count, let limit): "RESP array of \(count) elements exceeds \(limit)"
        case .nestedTooDeep(let limit): "RESP arrays nested deeper than \(limit)"
        case .unexpectedReply: "a reply arrived with no command waiting for it"
        }
    }
}
