import PostgresNIO
import ServiceLifecycle
import SkyHighCore

/// The connection pool as a service, which says when it is running: postgres-nio serves a
/// connection asked for before `PostgresClient.run()` has started only after it does, with a
/// warning, so the pool's first users (migrations, listeners) wait on `running` instead.
public struct PostgresPool: Service {
    public let client: PostgresClient
    /// Opens once `client.run()` has started.
    public let running = StartGate.closed()

    public init(client: PostgresClient) { self.client = client }

    public func run() async {
        await withDiscardingTaskGroup { group in
            // An immediate task runs `client.run()` up to its first suspension, by which point
            // the client counts as running.
            group.addImmediateTask { await client.run() }
            running.openGate()
        }
    }
}
