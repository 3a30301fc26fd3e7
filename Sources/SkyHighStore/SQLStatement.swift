import Foundation
import SkyHighCore

/// A statement with its bound values, written as one string: every interpolated value becomes a
/// placeholder (`$1`, `$2`, ...) and a bind, in order, so no statement counts placeholders by
/// hand. SQL text that is not a value (a column list, a dialect's clause) goes in with
/// `\(raw: ...)`, and is never built from input.
///
///     sql.run("SELECT \(raw: Self.holdColumns) FROM holds WHERE hold_id = \(holdID)")
public struct SQLStatement: ExpressibleByStringInterpolation, Sendable {
    public private(set) var sql: String
    public private(set) var binds: [SQLValue]

    public init(stringLiteral value: String) {
        sql = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [SQLValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        public mutating func appendInterpolation(_ value: SQLValue) {
            binds.append(value)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(_ text: String) { appendInterpolation(SQLValue.text(text)) }
        public mutating func appendInterpolation(_ text: String?) { appendInterpolation(SQLValue.optional(text)) }
        public mutating func appendInterpolation(_ number: Int64) { appendInterpolation(SQLValue.int(number)) }
        public mutating func appendInterpolation(_ number: Int) { appendInterpolation(SQLValue.int(Int64(number))) }
        public mutating func appendInterpolation(_ number: Int?) { appendInterpolation(number.map { SQLValue.int(Int64($0)) } ?? .null) }
        public mutating func appendInterpolation(_ date: Date) { appendInterpolation(SQLValue.date(date)) }
        public mutating func appendInterpolation(_ date: Date?) { appendInterpolation(date.map(SQLValue.date) ?? .null) }
        public mutating func appendInterpolation(_ id: UUID) { appendInterpolation(SQLValue.id(id)) }
        public mutating func appendInterpolation(_ id: UUID?) { appendInterpolation(id.map(SQLValue.id) ?? .null) }
        public mutating func appendInterpolation(_ flight: FlightID) { appendInterpolation(flight.rawValue) }
        public mutating func appendInterpolation(_ seat: SeatID) { appendInterpolation(seat.description) }
        public mutating func appendInterpolation(_ seat: SeatID?) { appendInterpolation(seat?.description) }
        public mutating func appendInterpolation(_ reference: BookingReference) { appendInterpolation(reference.rawValue) }

        /// Several values, comma-separated: `IN (\(list: ids))`.
        public mutating func appendInterpolation(list values: [SQLValue]) {
            for (index, value) in values.enumerated() {
                if index > 0 { sql += ", " }
                appendInterpolation(value)
            }
        }

        /// Rows of values for a multi-row `INSERT ... VALUES \(rows: ...)`.
        public mutating func appendInterpolation(rows: [[SQLValue]]) {
            for (index, row) in rows.enumerated() {
                sql += index > 0 ? ", (" : "("
                appendInterpolation(list: row)
                sql += ")"
            }
        }

        /// A condition written as a statement of its own, its values bound after the ones before it.
        public mutating func appendInterpolation(_ statement: SQLStatement) {
            var rest = Substring(statement.sql)
            while let dollar = rest.firstIndex(of: "$") {
                sql += rest[..<dollar]
                let digits = rest[rest.index(after: dollar)...].prefix(while: \.isNumber)
                if let number = Int(digits) {
                    sql += "$\(binds.count + number)"
                } else {
                    sql += "$"
                }
                rest = rest[rest.index(after: dollar)...].dropFirst(digits.count)
            }
            sql += rest
            binds += statement.binds
        }

        /// SQL text as it is: column lists and dialect clauses, never input.
        public mutating func appendInterpolation(raw fragment: String) { sql += fragment }
    }
}

extension SQLExecutor {
    @discardableResult
    public func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await run(statement.sql, statement.binds)
    }
}

extension SQLDatabase {
    @discardableResult
    public func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await run(statement.sql, statement.binds)
    }
}
