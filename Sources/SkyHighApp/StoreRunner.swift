import Foundation
import Logging
import ServiceLifecycle
import SkyHighCore

/// Runs a one-off task against the configured store, with the store's services (the PostgreSQL
/// pool) running for exactly as long as the task.
public enum StoreRunner {
    public static func withStore<T: Sendable>(
        _ config: Configuration, _ body: @escaping @Sendable (OpenedStore) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "skyhigh")
        logger.logLevel = config.logLevel
        // One-off tasks need no signals from other processes: no LISTEN connections.
        let opened = try await StoreFactory.open(config, poolSize: 2, clock: SystemClock(), logger: logger, listen: false)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            for service in opened.services {
                // Started at once, so that the body finds the pool running.
                group.addImmediateTask {
                    try await service.run()
                    return nil
                }
            }
            group.addTask { try await body(opened) }
            while let result = try await group.next() {
                if let value = result {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }
}
