import Foundation
import Metrics
import SkyHighCore
import SkyHighStore

/// Counts the store operations in flight (each holds a pooled PostgreSQL connection, or waits
/// for SQLite's one writer) next to the pool's size: `skyhigh_store_operations_in_flight` and
/// `skyhigh_store_pool_size` on `GET /metrics`.
struct InstrumentedDatabase: SQLDatabase {
    let base: any SQLDatabase
    let inFlight: Meter

    init(_ base: any SQLDatabase, store: String, poolSize: Int) {
        self.base = base
        inFlight = Meter(label: "skyhigh_store_operations_in_flight", dimensions: [("store", store)])
        Gauge(label: "skyhigh_store_pool_size", dimensions: [("store", store)]).record(poolSize)
    }

    var dialect: SQLDialect { base.dialect }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try await base.transaction(body)
    }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try await base.unitOfWork(body)
    }

    @discardableResult
    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try await base.run(sql, binds)
    }
}

extension InstrumentedDatabase {
    var seatWrites: (any SeatWriteProcedures)? {
        base.seatWrites.map { InstrumentedSeatWrites(base: $0, inFlight: inFlight) }
    }
}

/// The one-round-trip seat writes, counted like every other store operation.
private struct InstrumentedSeatWrites: SeatWriteProcedures {
    let base: any SeatWriteProcedures
    let inFlight: Meter

    func placeHold(_ hold: Hold, attempts: Int, requestID: String?) async throws -> [SQLRow] {
        try await counted { try await base.placeHold(hold, attempts: attempts, requestID: requestID) }
    }

    func confirmHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                     requestID: String?) async throws -> [SQLRow] {
        try await counted {
            try await base.confirmHold(id, passengers: passengers, at: now, attempts: attempts, requestID: requestID)
        }
    }

    func cancelHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                    requestID: String?) async throws -> [SQLRow] {
        try await counted {
            try await base.cancelHold(id, passengers: passengers, at: now, attempts: attempts, requestID: requestID)
        }
    }

    func expireHolds(at now: Date, limit: Int, attempts: Int, requestID: String?) async throws -> [SQLRow] {
        try await counted { try await base.expireHolds(at: now, limit: limit, attempts: attempts, requestID: requestID) }
    }

    private func counted<T>(_ body: () async throws -> T) async throws -> T {
        inFlight.increment()
        defer { inFlight.decrement() }
        return try await body()
    }
}
