import Foundation
import Metrics
import SkyHighCore
import SkyHighStore
import Tracing

/// Counts the store operations in flight (each holds a pooled PostgreSQL connection, or waits
/// for SQLite's one writer) next to the pool's size: `skyhigh_store_operations_in_flight` and
/// `skyhigh_store_pool_size` on `GET /metrics`. With `spans`, each transaction (or single
/// statement) of a traced request or job is a client span: `db.system.name`,
/// `db.operation.name`, and for a single statement its text, which holds placeholders only,
/// never a bound value. Work outside a trace (the sweep, job claims) makes no spans.
struct InstrumentedDatabase: SQLDatabase {
    let base: any SQLDatabase
    let inFlight: Meter
    let spans: StoreSpans?

    init(_ base: any SQLDatabase, store: String, poolSize: Int, traced: Bool = false) {
        self.base = base
        inFlight = Meter(label: "skyhigh_store_operations_in_flight", dimensions: [("store", store)])
        Gauge(label: "skyhigh_store_pool_size", dimensions: [("store", store)]).record(poolSize)
        spans = traced ? StoreSpans(system: store == "postgres" ? "postgresql" : store) : nil
    }

    var dialect: SQLDialect { base.dialect }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await counted(inFlight, spans, "transaction") { try await base.transaction(body) }
    }

    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await counted(inFlight, spans, "transaction") { try await base.unitOfWork(body) }
    }

    @discardableResult
    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await counted(inFlight, spans, "statement", text: sql) { try await base.run(sql, binds) }
    }
}

extension InstrumentedDatabase {
    var seatWrites: (any SeatWriteProcedures)? {
        base.seatWrites.map { InstrumentedSeatWrites(base: $0, inFlight: inFlight, spans: spans) }
    }
}

/// Makes the spans of store operations.
struct StoreSpans: Sendable {
    /// `postgresql` or `sqlite`, OpenTelemetry's names.
    let system: String

    func run<T>(_ operation: String, text: String?, _ body: () async throws -> T) async throws -> T {
        // Only inside a traced request or job: a background loop's statements would each start
        // a trace of their own.
        guard InstrumentationContext.current != nil else { return try await body() }
        return try await withSpan("\(operation) \(system)", ofKind: .client) { span in
            span.attributes["db.system.name"] = system
            span.attributes["db.operation.name"] = operation
            if let text { span.attributes["db.query.text"] = text }
            return try await body()
        }
    }
}

/// Counts one store operation in flight, inside its span when there is one.
private func counted<T>(_ inFlight: Meter, _ spans: StoreSpans?, _ operation: String, text: String? = nil,
                        _ body: () async throws -> T) async throws -> T {
    inFlight.increment()
    defer { inFlight.decrement() }
    guard let spans else { return try await body() }
    return try await spans.run(operation, text: text, body)
}

/// The one-round-trip seat writes, counted (and traced) like every other store operation.
private struct InstrumentedSeatWrites: SeatWriteProcedures {
    let base: any SeatWriteProcedures
    let inFlight: Meter
    let spans: StoreSpans?

    func placeHold(_ hold: Hold, attempts: Int, requestID: String?) async throws -> [SQLRow] {
        try await counted(inFlight, spans, "skyhigh_place_hold") {
            try await base.placeHold(hold, attempts: attempts, requestID: requestID)
        }
    }

    func confirmHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                     requestID: String?) async throws -> [SQLRow] {
        try await counted(inFlight, spans, "skyhigh_confirm_hold") {
            try await base.confirmHold(id, passengers: passengers, at: now, attempts: attempts, requestID: requestID)
        }
    }

    func cancelHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                    requestID: String?) async throws -> [SQLRow] {
        try await counted(inFlight, spans, "skyhigh_cancel_hold") {
            try await base.cancelHold(id, passengers: passengers, at: now, attempts: attempts, requestID: requestID)
        }
    }

    func expireHolds(at now: Date, limit: Int, attempts: Int, requestID: String?) async throws -> [SQLRow] {
        try await counted(inFlight, spans, "skyhigh_expire_holds") {
            try await base.expireHolds(at: now, limit: limit, attempts: attempts, requestID: requestID)
        }
    }
}
