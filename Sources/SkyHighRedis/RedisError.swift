/// Every way a call to `RedisClient` fails. None of them leaves the caller waiting longer than
/// the call's timeout.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// There is no connection to Redis right now (not connected yet, lost and reconnecting, or the
    /// client has stopped). The command was not sent.
    case unavailable
    /// No reply within the call's timeout. The command may or may not have run. The connection
    /// has been closed, since later replies could no longer be matched, and is being replaced.
    case timeout
    /// The connection was lost after the command was sent. The command may or may not have run.
    case connectionLost
    /// Redis answered with an error reply (`-ERR ...`, `-WRONGTYPE ...`). The connection is fine.
    case server(String)
    /// Redis sent bytes that are not RESP2. The connection has been closed and is being replaced.
    case protocolViolation(RESPProtocolError)
    /// Refused before sending: a command the shared connection cannot carry.
    case invalidCommand(String)
    /// Too many commands are waiting for replies already (see
    /// `RedisConnectionSettings.maximumCommandsInFlight`). The command was not sent.
    case overloaded

    public var description: String {
        switch self {
        case .unavailable: "Redis is unavailable"
        case .timeout: "Redis did not answer in time"
        case .connectionLost: "the connection to Redis was lost before the reply"
        case .server(let message): "Redis error: \(message)"
        case .protocolViolation(let error): "Redis protocol error: \(error)"
        case .invalidCommand(let why): "invalid Redis command: \(why)"
        case .overloaded: "too many Redis commands in flight"
        }
    }
}
