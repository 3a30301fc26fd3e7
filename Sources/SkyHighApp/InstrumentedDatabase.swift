import Metrics
import SkyHighStore

/// Counts the store operations in flight (each holds a pooled PostgreSQL connection, or waits
/// for SQLite's one writer) next to the pool's size: `skyhigh_store_operations_in_flight` and
/// `skyhigh_store_pool_size` on `GET /metrics`.
struct InstrumentedDatabase: SQLDatabase {
    let base: any SQLDatabase
    private let inFlight: Meter

    init(_ base: any SQLDatabase, store: String, poolSize: Int) {
        self.base = base
        inFlight = Meter(label: "skyhigh_store_operations_in_flight", dimensions: [("store", store)])
        Gauge(label: "skyhigh_store_pool_size", dimensions: [("store", store)]).record(poolSize)
    }

    var dialect: SQLDialect { base.dialect }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try await base.transaction(body)
    }

    @discardableResult
    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try await base.run(sql, binds)
    }
}
