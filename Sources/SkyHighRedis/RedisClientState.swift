/// Where a `RedisClient`'s connection stands, for metrics, logs and readiness checks.
public enum RedisClientState: Sendable, Hashable, CustomStringConvertible {
    /// `run()` has not been called yet.
    case idle
    /// A connection is open and set up: calls are sent.
    case connected
    /// No connection: calls fail at once with `RedisError.unavailable` while the client keeps
    /// trying to connect.
    case disconnected(RedisDisconnectReason)
    /// `run()` has returned: calls fail at once with `RedisError.unavailable`.
    case stopped

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connected: "connected"
        case .disconnected(let reason): "disconnected (\(reason))"
        case .stopped: "stopped"
        }
    }
}

/// Why the client has no connection.
public enum RedisDisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// No connection could be opened (refused, unreachable, no answer within the connect timeout).
    case connectFailed(String)
    /// A connection opened, but `AUTH`, `SELECT` or the first `PING` failed or got no answer.
    case setupFailed(String)
    /// The connection closed or failed (the server went away, a reset, an I/O error).
    case connectionClosed(String)
    /// A command got no reply in time, so the connection was closed.
    case timeout
    /// The server sent something that is not RESP2, so the connection was closed.
    case protocolViolation(String)

    /// A short fixed word for metric labels.
    public var kind: String {
        switch self {
        case .connectFailed: "connect_failed"
        case .setupFailed: "setup_failed"
        case .connectionClosed: "connection_closed"
        case .timeout: "timeout"
        case .protocolViolation: "protocol_violation"
        }
    }

    public var description: String {
        switch self {
        case .connectFailed(let detail): "could not connect: \(detail)"
        case .setupFailed(let detail): "connection setup failed: \(detail)"
        case .connectionClosed(let detail): "connection closed: \(detail)"
        case .timeout: "a command timed out"
        case .protocolViolation(let detail): "protocol violation: \(detail)"
        }
    }
}
