import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SkyHighCore
import SkyHighStore

/// Calls back, with the signal's payload, when any process commits a transaction that signalled
/// `channel` (`LISTEN`). After (re)connecting it calls back once with `nil`: anything may have
/// changed while it was not listening. What it wakes also polls, so a lost signal costs only latency.
public struct PostgresListener: Service {
    let client: PostgresClient
    let channel: StoreChannel
    let logger: Logger
    let onNotification: @Sendable (String?) -> Void
    /// Opens when the pool is running (see ``PostgresPool``).
    let poolRunning: StartGate

    /// How often the listening connection is checked, and how long the check may take.
    let keepAliveInterval: Duration
    let keepAliveTimeout: Duration
    /// How long getting a connection and its `LISTEN` confirmed may take.
    let listenTimeout: Duration

    public init(client: PostgresClient, channel: StoreChannel, logger: Logger,
                keepAliveInterval: Duration = .seconds(2), keepAliveTimeout: Duration = .seconds(2),
                listenTimeout: Duration = .seconds(10), poolRunning: StartGate = .open,
                onNotification: @escaping @Sendable (String?) -> Void) {
        self.client = client
        self.channel = channel
        self.logger = logger
        self.keepAliveInterval = keepAliveInterval
        self.keepAliveTimeout = keepAliveTimeout
        self.listenTimeout = listenTimeout
        self.onNotification = onNotification
        self.poolRunning = poolRunning
    }

    /// A listening connection only receives, so one whose server vanished without a word (a
    /// failover, a dropped route) would wait for ever. A query every `keepAliveInterval` that
    /// must answer within `keepAliveTimeout` finds it; the connection is then closed, and the
    /// loop above reconnects and reports that anything may have changed.
    private func keepAlive(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: keepAliveInterval)
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    _ = try await connection.query("SELECT 1", logger: logger).collect()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: keepAliveTimeout)
                    // Closing is what ends the unanswered query (postgres-nio cannot cancel one).
                    connection.close().whenComplete { _ in }
                    return false
                }
                defer { group.cancelAll() }
                return (try? await group.next()) ?? false
            }
            if !answered {
                throw StoreUnavailableError("the listening connection did not answer within \(keepAliveTimeout)")
            }
        }
    }

    public func run() async throws {
        await poolRunning.wait()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    // Translated, so that the log says what happened (PSQLError's own text does not).
                    try await PostgresBackend.translatingErrors { try await listen() }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("store signals interrupted; reconnecting",
                                   metadata: ["channel": "\(channel.rawValue)", "error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// One listening connection, until it fails or the task is cancelled. The session is watched
    /// from outside, never awaited past its end: postgres-nio may never answer a `LISTEN` whose
    /// connection was closed under it (a failover, the pool shutting down; vapor/postgres-nio#601),
    /// and a service waiting on it would never stop. So a `LISTEN` not confirmed within
    /// `listenTimeout` is given up (the loop above connects again), and a cancelled service returns
    /// at once, leaving a stuck session to end on its own.
    private func listen() async throws {
        try await Deadline.run(startingWithin: listenTimeout, expired: { [channel, listenTimeout] in
            StoreUnavailableError("LISTEN \(channel.rawValue) was not confirmed within \(listenTimeout)")
        }) { started in
            try await session(started: started)
        }
    }

    private func session(started: @escaping @Sendable () -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: channel.rawValue) { notifications in
                started()
                // Anything committed while not listening is caught up by the first call.
                onNotification(nil)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await notification in notifications { onNotification(notification.payload) }
                    }
                    group.addTask { try await keepAlive(connection) }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            }
        }
    }
}
