import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Wakes this process's workers when any process commits a transaction that enqueued jobs
/// (`NOTIFY skyhigh_jobs`, sent by the store in that transaction). Reconnects after a failure;
/// workers also poll, so a lost notification only costs latency.
public struct PostgresJobListener: Service {
    public static let channel = "skyhigh_jobs"
    let client: PostgresClient
    let logger: Logger
    let onNotification: @Sendable () -> Void

    public init(client: PostgresClient, logger: Logger, onNotification: @escaping @Sendable () -> Void) {
        self.client = client
        self.logger = logger
        self.onNotification = onNotification
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            for try await _ in notifications { onNotification() }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("job notifications interrupted; reconnecting", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
