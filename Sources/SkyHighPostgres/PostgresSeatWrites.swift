import Foundation
import Logging
import PostgresNIO
import SkyHighCore
import SkyHighStore

/// Hold, confirm and cancel as one prepared statement each, calling the functions of
/// ``PostgresSeatWriteMigration``: one round trip on the common path, no `BEGIN` or `COMMIT`.
struct PostgresSeatWrites: SeatWriteProcedures {
    let backend: PostgresBackend

    func placeHold(_ hold: Hold, attempts: Int, requestID: String?) async throws -> [SQLRow] {
        try await execute(PlaceHold(hold: hold, attempts: attempts, requestID: origin(requestID)))
    }

    func confirmHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                     requestID: String?) async throws -> [SQLRow] {
        try await execute(ChangeHold<Confirm>(id: id, passengers: passengers, now: now, attempts: attempts,
                                              requestID: origin(requestID)))
    }

    func cancelHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                    requestID: String?) async throws -> [SQLRow] {
        try await execute(ChangeHold<Cancel>(id: id, passengers: passengers, now: now, attempts: attempts,
                                             requestID: origin(requestID)))
    }

    func expireHolds(at now: Date, limit: Int, attempts: Int, requestID: String?) async throws -> [SQLRow] {
        try await execute(ExpireHolds(now: now, limit: limit, attempts: attempts, requestID: origin(requestID)))
    }

    /// The request id with the current trace context, as the functions' request argument.
    private func origin(_ requestID: String?) -> String? {
        PostgresTraceMigration.jobOrigin(requestID: requestID, traceParent: RequestTrace.traceParent)
    }

    private func execute<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [SQLRow]
    where Statement.Row == SQLRow {
        try await backend.execute(statement)
    }
}

private let holdColumns = "outcome, hold_id, flight_id, seat_id, passenger_id, state, created_at, expires_at, updated_at"

// Statement names are short and explicit: PostgreSQL cuts names at 63 bytes, and the default
// (the Swift type's full name) would make two statements one.
private struct PlaceHold: PostgresPreparedStatement {
    static let name = "skyhigh_place_hold"
    static let sql = "SELECT \(holdColumns) FROM skyhigh_place_hold($1, $2, $3, $4, $5, $6, $7, $8)"
    let hold: Hold
    let attempts: Int
    let requestID: String?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(hold.flightID.rawValue)
        bindings.append(hold.seatID.description)
        bindings.append(hold.passengerID.uuidString.lowercased())
        bindings.append(hold.id.uuidString.lowercased())
        bindings.append(hold.createdAt)
        bindings.append(hold.expiresAt)
        bindings.append(Int64(attempts))
        bindings.append(requestID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> SQLRow { try PostgresBackend.Executor.row(row) }
}

protocol HoldChangeFunction: Sendable { static var function: String { get } }
enum Confirm: HoldChangeFunction { static let function = "skyhigh_confirm_hold" }
enum Cancel: HoldChangeFunction { static let function = "skyhigh_cancel_hold" }

private struct ChangeHold<Function: HoldChangeFunction>: PostgresPreparedStatement {
    static var name: String { Function.function }
    static var sql: String { "SELECT \(holdColumns) FROM \(Function.function)($1, $2, $3, $4, $5)" }
    let id: HoldID
    let passengers: [PassengerID]
    let now: Date
    let attempts: Int
    let requestID: String?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(id.uuidString.lowercased())
        bindings.append(passengers.map { $0.uuidString.lowercased() })
        bindings.append(now)
        bindings.append(Int64(attempts))
        bindings.append(requestID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> SQLRow { try PostgresBackend.Executor.row(row) }
}

private struct ExpireHolds: PostgresPreparedStatement {
    static let name = "skyhigh_expire_holds"
    static let sql = "SELECT \(holdColumns) FROM skyhigh_expire_holds($1, $2, $3, $4)"
    let now: Date
    let limit: Int
    let attempts: Int
    let requestID: String?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(now)
        bindings.append(Int64(limit))
        bindings.append(Int64(attempts))
        bindings.append(requestID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> SQLRow { try PostgresBackend.Executor.row(row) }
}
