import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SkyHighStore

/// Calls back, with the signal's payload, when any process commits a transaction that signalled
/// `channel` (`LISTEN`). After (re)connecting it calls back once with `nil`: anything may have
/// changed while it was not listening. What it wakes also polls, so a lost signal costs only latency.
public struct PostgresListener: Service {
    let client: PostgresClient
    let channel: StoreChannel
    let logger: Logger
    let onNotification: @Sendable (String?) -> Void

    public init(client: PostgresClient, channel: StoreChannel, logger: Logger, onNotification: @escaping @Sendable (String?) -> Void) {
        self.client = client
        self.channel = channel
        self.logger = logger
        self.onNotification = onNotification
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: channel.rawValue) { notifications in
                            // Anything committed while not listening is caught up by the first call.
                            onNotification(nil)
                            for try await notification in notifications { onNotification(notification.payload) }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("store signals interrupted; reconnecting",
                                   metadata: ["channel": "\(channel.rawValue)", "error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
