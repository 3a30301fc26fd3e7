/// How long a client connection may sit idle or take over a request, and how many connections
/// one instance keeps open. ``ConnectionGuard`` enforces them on every connection.
public struct ConnectionSettings: Sendable, Equatable {
    /// A connection with no request being received or answered for this long is closed
    /// (`SKYHIGH_IDLE_TIMEOUT_SECONDS`). A live stream is an answer in progress, so it never idles.
    public var idleTimeout: Duration
    /// A request whose head and body have not all arrived this long after its first byte is
    /// answered 408 (when nothing else is owed on the connection) or simply closed
    /// (`SKYHIGH_REQUEST_TIMEOUT_SECONDS`). Also bounds the drain after an early answer.
    public var requestTimeout: Duration
    /// Open connections one instance keeps (`SKYHIGH_MAX_CONNECTIONS`); past it a new connection
    /// gets 503 `too-many-connections` with `Retry-After` and is closed.
    public var maxConnections: Int
    /// The most request body read and thrown away after an early answer (a 413, a 401 decided from
    /// the head) before the connection is closed anyway: enough for a client that sends its whole
    /// body before it reads the answer to get it, never an unbounded read.
    public var drainLimit: Int
    /// How long a connection the guard ends with an answer of its own (503 over the limit, 408)
    /// stays open at most for that answer to go out, and for the request a 503 answers to arrive.
    public var refusalLinger: Duration

    public init(idleTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(10),
                maxConnections: Int = 10_000, drainLimit: Int = 32 << 20, refusalLinger: Duration = .seconds(1)) {
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxConnections = maxConnections
        self.drainLimit = drainLimit
        self.refusalLinger = refusalLinger
    }
}
