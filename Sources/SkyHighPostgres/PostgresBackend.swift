import Foundation
import Logging
import NIOCore
import PostgresNIO
import SkyHighCore
import SkyHighStore

/// PostgreSQL, the production store: a connection pool, transactions at READ COMMITTED with
/// row locks where a transaction reads what it will change.
public final class PostgresBackend: SQLDatabase {
    public let dialect = SQLDialect(lockForUpdate: " FOR UPDATE", claimUnlocked: " FOR UPDATE SKIP LOCKED",
                                    notifiesOnCommit: true, seatVersions: .transactionID,
                                    clock: "clock_timestamp()",
                                    readOnly: "CASE WHEN pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' "
                                        + "THEN 1 ELSE 0 END")
    /// The pool; it must be running (see ``PostgresClient/run()``) before queries are made.
    public let client: PostgresClient
    private let logger: Logger
    /// How long one operation (waiting for a connection, then its statements) may take before it
    /// fails as ``StoreUnavailableError``; `nil` for none (migrations).
    public let deadline: Duration?
    /// How long a request's whole transaction (``unitOfWork(_:)``) may take: `unitFactor` times
    /// the deadline unless given.
    public let unitDeadline: Duration?

    public init(client: PostgresClient, logger: Logger = Logger(label: "skyhigh.postgres"), deadline: Duration? = nil,
                unitDeadline: Duration? = nil) {
        self.client = client
        self.logger = logger
        self.deadline = deadline
        self.unitDeadline = unitDeadline ?? deadline.map { $0 * Self.unitFactor }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(within: deadline, body)
    }

    /// A request's whole transaction may also wait for the Weight or Payment service (each call
    /// has its own time limit), so it gets `unitFactor` times the deadline.
    public func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(within: unitDeadline, body)
    }

    static let unitFactor = 10

    private func transaction<T: Sendable>(within deadline: Duration?,
                                          _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await withConnection(within: deadline) { [logger] connection in
            let executor = Executor(connection: connection, logger: logger)
            try await executor.run("BEGIN", [])
            do {
                let result = try await body(executor)
                try await executor.run("COMMIT", [])
                return result
            } catch {
                _ = try? await executor.run("ROLLBACK", [])
                throw error
            }
        }
    }

    @discardableResult
    public func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await withConnection { [logger] connection in
            try await Executor(connection: connection, logger: logger).run(sql, binds)
        }
    }

    /// Runs `body` on a pooled connection within the deadline. postgres-nio cannot cancel a
    /// query, and its pool waits up to a minute for a server that does not answer; so past the
    /// deadline the wait for a connection is cancelled, and a query in flight is ended by closing
    /// its connection (the pool replaces it). The caller does not wait for either to take
    /// effect (see ``Deadline``): it gets a ``StoreUnavailableError`` (503) at the deadline, even
    /// from a connection that misses its close, as one did when its server died mid-failover.
    func withConnection<T: Sendable>(within deadline: Duration?? = .none,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let deadline = deadline ?? self.deadline
        return try await Self.translatingErrors { [client] in
            guard let deadline else { return try await client.withConnection(body) }
            return try await Deadline.run(within: deadline,
                                          expired: { StoreUnavailableError("the database did not answer within \(deadline)") }) {
                try await Self.translatingErrors {
                    try await client.withConnection { connection in
                        try await withTaskCancellationHandler {
                            try await body(connection)
                        } onCancel: {
                            connection.close().whenComplete { _ in }
                        }
                    }
                }
            }
        }
    }

    public var seatWrites: (any SeatWriteProcedures)? { PostgresSeatWrites(backend: self) }

    /// Runs a prepared statement on a pooled connection, as its own transaction.
    func execute<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row]
    where Statement.Row: Sendable {
        try await withConnection { [logger] connection in
            try await Executor.translatingServerErrors {
                var rows: [Statement.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                return rows
            }
        }
    }

    /// Failures to reach the server (no connection, the pool's circuit breaker open, a dropped
    /// connection) become ``StoreUnavailableError`` (503), whatever step raised them. An error
    /// the server itself reported, and the store's own errors, pass through unchanged.
    static func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.serverInfo != nil {
            throw PostgresServerError(error)
        } catch let error as PSQLError {
            throw StoreUnavailableError("\(error.code)")
        } catch let error where Self.isConnectionFailure(error) {
            throw StoreUnavailableError(String(describing: type(of: error)))
        }
    }

    /// An error from the connection or the pool (NIO's channel and I/O errors, the pool's own):
    /// the database could not be reached. Anything else (the store's own errors, what a body
    /// threw) passes through as it is.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        let module = String(reflecting: type(of: error)).prefix { $0 != "." }
        return module.hasPrefix("NIO") || module == "PostgresNIO" || module == "_ConnectionPoolModule"
    }

    struct Executor: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger

        @discardableResult
        func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            var bindings = PostgresBindings(capacity: binds.count)
            for bind in binds {
                switch bind {
                case .int(let int): bindings.append(int)
                case .text(let text): bindings.append(text)
                // Milliseconds, as the embedded store keeps them: a time read back compares equal.
                case .date(let date): bindings.append(date.truncatedToMilliseconds)
                case .null: bindings.appendNull()
                }
            }
            return try await Self.translatingServerErrors {
                var rows: [SQLRow] = []
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
                    rows.append(try Self.row(row))
                }
                return rows
            }
        }

        /// The server's refusals the store acts on: a unique index (the store's conflict rule),
        /// and the SQLSTATEs that mean "try again later" (503).
        static func translatingServerErrors<T>(_ body: () async throws -> T) async throws -> T {
            do {
                return try await body()
            } catch let error as PSQLError {
                guard let state = error.serverInfo?[.sqlState] else { throw error }
                switch PostgresError.Code(raw: state) {
                case .uniqueViolation:
                    throw SQLDriverError.uniqueViolation(constraint: error.serverInfo?[.constraintName] ?? "")
                case .serializationFailure, .deadlockDetected, .adminShutdown, .crashShutdown, .cannotConnectNow,
                     .tooManyConnections, .readOnlySqlTransaction, .queryCanceled:
                    // Try again later: a conflict PostgreSQL settled by aborting, a server going down,
                    // full, or read-only (a standby, or a primary being demoted).
                    throw StoreUnavailableError(error.serverInfo?[.message] ?? "\(error.code)")
                default:
                    // Class 08: the connection itself failed.
                    if state.hasPrefix("08") { throw StoreUnavailableError(error.serverInfo?[.message] ?? state) }
                    throw error
                }
            }
        }

        static func row(_ row: PostgresRow) throws -> SQLRow {
            var values: [String: SQLValue] = [:]
            for cell in row {
                guard cell.bytes != nil else {
                    values[cell.columnName] = .null
                    continue
                }
                switch cell.dataType {
                case .int2, .int4, .int8:
                    values[cell.columnName] = .int(try cell.decode(Int64.self))
                case .timestamptz, .timestamp:
                    // Every time the service writes is a whole millisecond. The round trip through
                    // PostgreSQL's microseconds can come back a fraction of a microsecond off,
                    // which would make `now >= expiresAt` false at the very instant of expiry;
                    // rounding to the millisecond gives back exactly the value that was written.
                    let decoded = try cell.decode(Date.self)
                    values[cell.columnName] = .date(Date(millisecondsSince1970: Int64((decoded.timeIntervalSince1970 * 1000).rounded())))
                case .bool:
                    values[cell.columnName] = .int(try cell.decode(Bool.self) ? 1 : 0)
                default:
                    values[cell.columnName] = .text(try cell.decode(String.self))
                }
            }
            return SQLRow(values)
        }
    }
}

/// An error the server reported, with what helps whoever reads the log: the SQLSTATE, the
/// server's message and where it arose (never the statement's bound values, which
/// `PSQLError`'s own description withholds along with everything else).
public struct PostgresServerError: Error, CustomStringConvertible {
    public let sqlState: String
    public let message: String
    public let constraint: String?
    public let context: String?

    init(_ error: PSQLError) {
        sqlState = error.serverInfo?[.sqlState] ?? "?"
        message = error.serverInfo?[.message] ?? "\(error.code)"
        constraint = error.serverInfo?[.constraintName]
        context = error.serverInfo?[.locationContext]
    }

    public var description: String {
        var text = "PostgreSQL error \(sqlState): \(message)"
        if let constraint { text += " (constraint \(constraint))" }
        if let context { text += " [\(context.replacingOccurrences(of: "\n", with: "; "))]" }
        return text
    }
}
