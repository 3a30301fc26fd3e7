import Foundation
import Logging
import NIOCore
import SkyHighCore
import SkyHighStore
import SQLiteNIO

/// The embedded SQLite database: one connection, one transaction at a time (SQLite has one
/// writer anyway), write-ahead logging so that other processes can read meanwhile.
public final class EmbeddedDatabase: SQLDatabase {
    public let dialect = SQLDialect(lockForUpdate: "", claimUnlocked: "")
    private let connection: SQLiteConnection
    private let gate = SerialGate()

    /// Opens (creating if needed) the database at `path`, or a private in-memory one for `nil`.
    public static func open(path: String?, logger: Logger = Logger(label: "skyhigh.sqlite")) async throws -> EmbeddedDatabase {
        let connection = try await SQLiteConnection.open(storage: path.map { .file(path: $0) } ?? .memory, logger: logger)
        let database = EmbeddedDatabase(connection: connection)
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                       "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000"] {
            _ = try await connection.query(pragma, [])
        }
        return database
    }

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    public func close() async throws {
        try await connection.close()
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let executor = Executor(connection: connection)
        return try await gate.run {
            try await executor.run("BEGIN IMMEDIATE", [])
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
        let executor = Executor(connection: connection)
        return try await gate.run { try await executor.run(sql, binds) }
    }

    private struct Executor: SQLExecutor {
        let connection: SQLiteConnection

        @discardableResult
        func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            do {
                return try await connection.query(Self.numberedPlaceholders(sql), binds.map(Self.sqliteData))
                    .map(Self.row)
            } catch let error as SQLiteError {
                switch error.reason {
                case .constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed:
                    if error.message.contains("UNIQUE") || error.reason != .constraint {
                        throw SQLDriverError.uniqueViolation(constraint: error.message)
                    }
                    throw error
                case .busy, .locked, .ioErrorFailedRead, .ioErrorFailedWrite, .full, .cantOpen:
                    throw StoreUnavailableError(error.message)
                default:
                    throw error
                }
            }
        }

        /// `$1` becomes `?1`: SQLite's numbered parameters keep the store's statements shared.
        static func numberedPlaceholders(_ sql: String) -> String {
            sql.replacingOccurrences(of: "$", with: "?")
        }

        static func sqliteData(_ value: SQLValue) -> SQLiteData {
            switch value {
            case .int(let int): .integer(Int(int))
            case .text(let text): .text(text)
            case .date(let date): .integer(Int(date.millisecondsSince1970))
            case .null: .null
            }
        }

        static func row(_ row: SQLiteRow) -> SQLRow {
            var values: [String: SQLValue] = [:]
            for column in row.columns {
                switch column.data {
                case .integer(let int): values[column.name] = .int(Int64(int))
                case .float(let double): values[column.name] = .int(Int64(double))
                case .text(let text): values[column.name] = .text(text)
                case .blob(let buffer): values[column.name] = .text(String(buffer: buffer))
                case .null: values[column.name] = .null
                }
            }
            return SQLRow(values)
        }
    }
}
