/// How live seat-change streams (Server-Sent Events) treat their clients.
public struct LiveEventSettings: Sendable, Equatable {
    /// A comment line this often keeps proxies from closing a quiet stream.
    public var heartbeat: Duration
    /// How long one write may wait for a client to read before the connection is closed: a
    /// client that stops reading is dropped instead of holding a stream open behind it.
    public var slowClientLimit: Duration

    public init(heartbeat: Duration = .seconds(15), slowClientLimit: Duration = .seconds(10)) {
        self.heartbeat = heartbeat
        self.slowClientLimit = slowClientLimit
    }
}
