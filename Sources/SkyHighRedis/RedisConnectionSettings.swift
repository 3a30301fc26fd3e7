/// Where Redis is, how to log in, and how long the client waits for it.
///
/// Usually read from a URL, then tuned:
///
/// ```swift
/// var settings = try RedisConnectionSettings(url: "redis://:secret@cache.internal:6379/2")
/// settings.commandTimeout = .milliseconds(100)
/// ```
public struct RedisConnectionSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// The database selected on every connect (`SELECT`), 0 by default.
    public var database: Int
    /// The ACL user for `AUTH user password`; with a password but no user, `AUTH password`.
    public var username: String?
    /// Sent with `AUTH` on every connect when set.
    public var password: String?

    /// How long a call waits for its reply (250 ms unless set). Past it the call throws
    /// `RedisError.timeout` and the connection is replaced. A call may pass its own.
    public var commandTimeout: Duration = .milliseconds(250)
    /// How long opening a connection, and then `AUTH` and `SELECT`, may take together.
    public var connectTimeout: Duration = .seconds(1)
    /// The waits between attempts to connect after a connection is lost or cannot be opened.
    public var reconnectBackoff = RedisReconnectBackoff()
    /// Most commands waiting for replies at once. Past it calls throw `RedisError.overloaded`
    /// instead of piling up behind a slow server.
    public var maximumCommandsInFlight = 10_000

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0,
                username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    /// Reads `redis://[[user]:password@]host[:port][/database]`: port 6379 and database 0 by
    /// default; user and password percent-encoded; an IPv6 host in brackets.
    public init(url: String) throws(RedisURLError) {
        self = try RedisURLParser.parse(url)
    }

    /// The commands each new connection is set up with: `AUTH` and `SELECT` as configured, or a
    /// `PING` when neither is, so that "connected" always means Redis has answered.
    var setupCommands: [RedisCommand] {
        var commands: [RedisCommand] = []
        if let password {
            if let username {
                commands.append(RedisCommand("AUTH", username, password))
            } else {
                commands.append(RedisCommand("AUTH", password))
            }
        }
        if database != 0 { commands.append(RedisCommand("SELECT", database)) }
        if commands.isEmpty { commands.append(RedisCommand("PING")) }
        return commands
    }
}

extension RedisConnectionSettings: CustomStringConvertible {
    /// The settings as a URL, with the password masked: safe to log.
    public var description: String {
        let user = username ?? ""
        let login = password == nil ? (user.isEmpty ? "" : "\(user)@") : "\(user):***@"
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(login)\(shownHost):\(port)/\(database)"
    }
}

/// Why a Redis URL was refused. The message names the problem and never repeats the password.
public struct RedisURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        case empty
        case missingScheme
        case unsupportedScheme(String)
        case missingHost
        case invalidHost(String)
        case invalidPort(String)
        case invalidDatabase(String)
        case invalidPercentEncoding
        case unsupportedQuery
    }

    public let problem: Problem
    /// The URL with any password masked.
    public let url: String

    public var description: String {
        let what = switch problem {
        case .empty: "the URL is empty"
        case .missingScheme: "it must start with redis://"
        case .unsupportedScheme(let scheme):
            scheme == "rediss" ? "rediss:// (TLS) is not supported; use redis://"
                : "the scheme is \"\(scheme)\"; it must be redis://"
        case .missingHost: "the host is missing"
        case .invalidHost(let host): "the host \"\(host)\" is not valid"
        case .invalidPort(let port): "the port \"\(port)\" is not a number from 1 to 65535"
        case .invalidDatabase(let database): "the database \"\(database)\" is not a number of 0 or more"
        case .invalidPercentEncoding: "the user or password has a bad percent-encoding"
        case .unsupportedQuery: "query parameters and fragments are not supported"
        }
        return "invalid Redis URL \(url): \(what) (expected redis://[[user]:password@]host[:port][/database])"
    }
}
