import Foundation
import SkyHighCore
import Synchronization

/// One request's store calls as one transaction: an idempotent request's effect and its stored
/// answer commit together (``SQLStore/runIdempotently(_:requestHash:at:_:)``). While a unit is
/// open, the store calls its task makes join its transaction, and the signals they would send
/// (jobs enqueued, seats changed) wait for the commit.
final class UnitOfWork: Sendable {
    @TaskLocal static var current: UnitOfWork?

    let executor: any SQLExecutor
    /// The task that opened the unit: tasks it starts (a live-change fetch, say) use the pool, not
    /// this transaction, which they must not see before it commits.
    private let owner: Int?
    private let pending = Mutex<[@Sendable () -> Void]>([])

    init(executor: any SQLExecutor) {
        self.executor = executor
        owner = withUnsafeCurrentTask { $0?.hashValue }
    }

    /// The unit the current task opened, if any.
    static var joinable: UnitOfWork? {
        guard let unit = current, unit.owner == withUnsafeCurrentTask(body: { $0?.hashValue }) else { return nil }
        return unit
    }

    /// One store operation inside the unit, behind a savepoint: an operation that fails (a
    /// seat taken, say: a 409 the unit will store) undoes only its own writes, and the unit's
    /// transaction stays usable for the rest and for the answer.
    func step<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await executor.run("SAVEPOINT skyhigh_step", [])
        do {
            let result = try await body(executor)
            try await executor.run("RELEASE SAVEPOINT skyhigh_step", [])
            return result
        } catch {
            try await executor.run("ROLLBACK TO SAVEPOINT skyhigh_step", [])
            try await executor.run("RELEASE SAVEPOINT skyhigh_step", [])
            throw error
        }
    }

    func afterCommit(_ signal: @escaping @Sendable () -> Void) { pending.withLock { $0.append(signal) } }

    func committed() { pending.withLock { $0 }.forEach { $0() } }
}

extension SQLStore {
    /// A transaction of its own, or the open unit's.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        if let unit = UnitOfWork.joinable { return try await unit.step(body) }
        return try await database.transaction(body)
    }

    /// One statement, in the open unit's transaction if there is one.
    @discardableResult
    func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        if let unit = UnitOfWork.joinable { return try await unit.step { try await $0.run(statement) } }
        return try await database.run(statement)
    }

    /// The one-round-trip seat writes, outside a unit (they commit on their own).
    var seatWrites: (any SeatWriteProcedures)? { UnitOfWork.joinable == nil ? database.seatWrites : nil }

    /// Tells this process about a committed change: at once, or when the open unit commits.
    func signal(_ send: @escaping @Sendable () -> Void) {
        if let unit = UnitOfWork.joinable { unit.afterCommit(send) } else { send() }
    }
}
