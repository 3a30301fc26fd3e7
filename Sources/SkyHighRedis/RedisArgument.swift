import NIOCore

/// A value that can be one argument of a Redis command: its bytes, sent as a bulk string.
public protocol RedisArgumentConvertible: Sendable {
    /// The bytes Redis receives for this argument.
    var redisArgument: ByteBuffer { get }
}

extension String: RedisArgumentConvertible {
    public var redisArgument: ByteBuffer { ByteBuffer(string: self) }
}

extension Substring: RedisArgumentConvertible {
    public var redisArgument: ByteBuffer { ByteBuffer(substring: self) }
}

extension ByteBuffer: RedisArgumentConvertible {
    public var redisArgument: ByteBuffer { self }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
    public var redisArgument: ByteBuffer { ByteBuffer(bytes: self) }
}

extension Int: RedisArgumentConvertible {
    public var redisArgument: ByteBuffer { ByteBuffer(string: String(self)) }
}

extension Int64: RedisArgumentConvertible {
    public var redisArgument: ByteBuffer { ByteBuffer(string: String(self)) }
}

extension UInt64: RedisArgumentConvertible {
    public var redisArgument: ByteBuffer { ByteBuffer(string: String(self)) }
}

extension Double: RedisArgumentConvertible {
    /// The shortest text that reads back as the same number (`0.1`, `1e-05`, `inf`), which is
    /// what Redis's float arguments (`INCRBYFLOAT`, `ZADD` scores) parse.
    public var redisArgument: ByteBuffer { ByteBuffer(string: description) }
}
