import NIOCore

/// One command: its name and arguments, each sent as a bulk string.
///
/// Build it with arguments, `RedisCommand("INCRBY", key, 5)`, or as an array literal where a
/// list of commands is expected: `client.pipeline([["INCRBY", key, 5], ["PEXPIRE", key, 60_000]])`.
public struct RedisCommand: Sendable, Hashable, ExpressibleByArrayLiteral {
    /// The name followed by the arguments, as sent.
    public let parts: [ByteBuffer]

    public init(_ name: String, _ arguments: any RedisArgumentConvertible...) {
        self.init(name, arguments: arguments)
    }

    public init(_ name: String, arguments: [any RedisArgumentConvertible]) {
        parts = [ByteBuffer(string: name)] + arguments.map(\.redisArgument)
    }

    public init(arrayLiteral elements: any RedisArgumentConvertible...) {
        parts = elements.map(\.redisArgument)
    }

    /// The command's name in upper case (`""` for an empty command).
    public var name: String {
        parts.first.map { String(buffer: $0).uppercased() } ?? ""
    }
}

extension RedisCommand: CustomStringConvertible {
    /// The name and the number of arguments; never the arguments, which may be secrets or keys.
    public var description: String {
        "\(name) (\(max(parts.count - 1, 0)) arguments)"
    }
}

extension RedisCommand {
    /// Commands that change the state of the connection itself. The client shares one connection
    /// between all callers and matches replies to commands in order, so these would break other
    /// callers (a database switched under them, replies that never come or come unasked) or be
    /// lost on the next reconnect. Database and credentials belong in the URL.
    static let refused: [String: String] = [
        "AUTH": "credentials belong in the URL",
        "SELECT": "the database belongs in the URL",
        "HELLO": "the client speaks RESP2 only",
        "RESET": "it would reset the shared connection",
        "QUIT": "the client owns the connection",
        "SUBSCRIBE": "pub/sub needs a connection of its own",
        "PSUBSCRIBE": "pub/sub needs a connection of its own",
        "SSUBSCRIBE": "pub/sub needs a connection of its own",
        "UNSUBSCRIBE": "pub/sub needs a connection of its own",
        "PUNSUBSCRIBE": "pub/sub needs a connection of its own",
        "SUNSUBSCRIBE": "pub/sub needs a connection of its own",
        "MONITOR": "it turns the connection into a feed",
        "SYNC": "it turns the connection into a replica",
        "PSYNC": "it turns the connection into a replica",
        "WATCH": "it would watch for every caller of the shared connection; use EVAL",
        "UNWATCH": "WATCH is not supported",
        "BLPOP": "blocking commands hold the shared connection",
        "BRPOP": "blocking commands hold the shared connection",
        "BLMOVE": "blocking commands hold the shared connection",
        "BRPOPLPUSH": "blocking commands hold the shared connection",
        "BLMPOP": "blocking commands hold the shared connection",
        "BZPOPMIN": "blocking commands hold the shared connection",
        "BZPOPMAX": "blocking commands hold the shared connection",
        "BZMPOP": "blocking commands hold the shared connection",
        "WAIT": "blocking commands hold the shared connection",
    ]

    /// Refuses, before anything is sent, commands the shared connection cannot carry: empty
    /// commands (Redis does not answer them), the `refused` ones, `CLIENT REPLY`, and a `MULTI`
    /// not closed by `EXEC` or `DISCARD` in the same list (other callers' commands would join
    /// the transaction).
    static func check(_ commands: [RedisCommand]) throws(RedisError) {
        var transactionOpen = false
        for command in commands {
            let name = command.name
            guard !name.isEmpty else { throw .invalidCommand("empty command") }
            if let why = refused[name] { throw .invalidCommand("\(name) is not supported: \(why)") }
            if name == "CLIENT", command.parts.count > 1, String(buffer: command.parts[1]).uppercased() == "REPLY" {
                throw .invalidCommand("CLIENT REPLY is not supported: replies are matched to commands in order")
            }
            switch name {
            case "MULTI": transactionOpen = true
            case "EXEC", "DISCARD": transactionOpen = false
            default: break
            }
        }
        if transactionOpen {
            throw .invalidCommand("MULTI must be closed by EXEC or DISCARD in the same pipeline")
        }
    }
}
