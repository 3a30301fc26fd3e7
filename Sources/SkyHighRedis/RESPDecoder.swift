import NIOCore

/// Turns the bytes of a connection into `RESPValue`s, one per reply, for a
/// `ByteToMessageHandler`. A malformed stream raises `RESPProtocolError` through the pipeline.
public struct RESPDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    private var parser: RESPParser

    public init(limits: RESPParser.Limits = RESPParser.Limits()) {
        parser = RESPParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer,
                                    seenEOF: Bool) throws -> DecodingState {
        // A reply cut off by the close is dropped: the connection is gone and so is the command.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
