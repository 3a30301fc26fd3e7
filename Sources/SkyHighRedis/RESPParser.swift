import NIOCore

/// Reads RESP2 values from bytes that arrive in pieces. Pure: no I/O.
///
/// `next(from:)` consumes only what it has fully understood. The elements of an array that is
/// still arriving are kept as they complete, so a long reply read in many chunks is parsed once,
/// not again from its start on every chunk. After it throws, the parser is spent: the stream is
/// out of step and the connection must be dropped.
public struct RESPParser: Sendable {
    /// Bounds on what the server may send, so a broken or hostile peer cannot make the client
    /// buffer without end or recurse without end.
    public struct Limits: Sendable, Hashable {
        /// Longest bulk string accepted, in bytes (Redis's own limit is 512 MiB).
        public var maximumBulkStringLength: Int
        /// Most elements in one array.
        public var maximumArrayCount: Int
        /// Deepest nesting of arrays.
        public var maximumDepth: Int
        /// Longest simple string, error or header line, in bytes.
        public var maximumLineLength: Int

        public init(maximumBulkStringLength: Int = 512 * 1024 * 1024, maximumArrayCount: Int = 1 << 24,
                    maximumDepth: Int = 32, maximumLineLength: Int = 64 * 1024) {
            self.maximumBulkStringLength = maximumBulkStringLength
            self.maximumArrayCount = maximumArrayCount
            self.maximumDepth = maximumDepth
            self.maximumLineLength = maximumLineLength
        }
    }

    /// An array whose elements are still arriving.
    private struct OpenArray: Sendable {
        let count: Int
        var elements: [RESPValue]
    }

    /// What one line (plus, for a bulk string, its data) holds.
    private enum Item {
        case value(RESPValue)
        case arrayHeader(count: Int)
    }

    public let limits: Limits
    private var open: [OpenArray] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The next complete value at the front of `buffer`, with its bytes consumed; `nil` when the
    /// bytes so far end inside a value (call again when more have arrived).
    public mutating func next(from buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPValue? {
        while true {
            guard let item = try readItem(from: &buffer) else { return nil }
            var finished: RESPValue
            switch item {
            case .value(let value):
                finished = value
            case .arrayHeader(let count) where count == 0:
                finished = .array([])
            case .arrayHeader(let count):
                guard open.count < limits.maximumDepth else { throw .nestedTooDeep(limit: limits.maximumDepth) }
                var elements: [RESPValue] = []
                // The count is the peer's claim: reserve no more than a modest amount up front.
                elements.reserveCapacity(min(count, 1024))
                open.append(OpenArray(count: count, elements: elements))
                continue
            }
            // A finished value completes the innermost open array, which may complete the next.
            while var innermost = open.popLast() {
                innermost.elements.append(finished)
                guard innermost.elements.count == innermost.count else {
                    open.append(innermost)
                    break
                }
                finished = .array(innermost.elements)
            }
            if open.isEmpty { return finished }
        }
    }

    /// Reads one line (and a bulk string's data), or nothing if it has not all arrived.
    private func readItem(from buffer: inout ByteBuffer) throws(RESPProtocolError) -> Item? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let (line, lineLength) = try peekLine(buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            buffer.moveReaderIndex(forwardBy: lineLength)
            return .value(.simpleString(line))
        case UInt8(ascii: "-"):
            buffer.moveReaderIndex(forwardBy: lineLength)
            return .value(.error(line))
        case UInt8(ascii: ":"):
            guard let number = Int64(line) else { throw .invalidInteger(line) }
            buffer.moveReaderIndex(forwardBy: lineLength)
            return .value(.integer(number))
        case UInt8(ascii: "$"):
            let length = try self.length(line)
            guard length >= 0 else {
                buffer.moveReaderIndex(forwardBy: lineLength)
                return .value(.bulkString(nil))
            }
            guard length <= limits.maximumBulkStringLength else {
                throw .bulkStringTooLong(length: length, limit: limits.maximumBulkStringLength)
            }
            guard buffer.readableBytes >= lineLength + length + 2 else { return nil }
            let dataStart = buffer.readerIndex + lineLength
            guard buffer.getInteger(at: dataStart + length, as: UInt8.self) == UInt8(ascii: "\r"),
                  buffer.getInteger(at: dataStart + length + 1, as: UInt8.self) == UInt8(ascii: "\n"),
                  let data = buffer.getSlice(at: dataStart, length: length)
            else { throw .missingLineEnd }
            buffer.moveReaderIndex(forwardBy: lineLength + length + 2)
            return .value(.bulkString(data))
        case UInt8(ascii: "*"):
            let count = try self.length(line)
            buffer.moveReaderIndex(forwardBy: lineLength)
            guard count >= 0 else { return .value(.array(nil)) }
            guard count <= limits.maximumArrayCount else {
                throw .arrayTooLong(count: count, limit: limits.maximumArrayCount)
            }
            return .arrayHeader(count: count)
        default:
            throw .unknownType(type)
        }
    }

    /// The text after the type byte up to CR LF, and the line's whole length including both;
    /// `nil` if the line end has not arrived yet.
    private func peekLine(_ buffer: ByteBuffer) throws(RESPProtocolError) -> (String, Int)? {
        let view = buffer.readableBytesView
        let textStart = view.startIndex + 1
        // Look no further than a line of the longest allowed length would reach.
        let searchEnd = min(view.endIndex, textStart + limits.maximumLineLength + 1)
        guard textStart <= searchEnd,
              let carriageReturn = view[textStart..<searchEnd].firstIndex(of: UInt8(ascii: "\r"))
        else {
            if view.count > limits.maximumLineLength + 1 { throw .lineTooLong(limit: limits.maximumLineLength) }
            return nil
        }
        guard carriageReturn + 1 < view.endIndex else { return nil }
        guard view[carriageReturn + 1] == UInt8(ascii: "\n") else { throw .missingLineEnd }
        let text = String(decoding: view[textStart..<carriageReturn], as: UTF8.self)
        return (text, carriageReturn + 2 - view.startIndex)
    }

    /// A bulk string's or array's length: -1 (null) or more.
    private func length(_ line: String) throws(RESPProtocolError) -> Int {
        guard let length = Int(line), length >= -1 else { throw .invalidLength(line) }
        return length
    }
}
