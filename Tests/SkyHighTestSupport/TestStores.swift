import Foundation
import Logging
import PostgresNIO
import SkyHighCore
import SkyHighPostgres
import SkyHighSQLite
import SkyHighStore
import Synchronization

/// The stores every conformance test runs against.
public enum StoreKind: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL when `SKYHIGH_TEST_POSTGRES_URL` names a server.
    public static var available: [StoreKind] {
        TestPostgres.maintenanceURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }
}

/// Runs `body` with a fresh, migrated store of `kind`, removed afterwards.
public func withStore<T: Sendable>(
    _ kind: StoreKind, ids: IDGenerator = .random,
    _ body: @Sendable (SQLStore) async throws -> T
) async throws -> T {
    switch kind {
    case .sqlite:
        let (store, database) = try await EmbeddedStore.open(path: nil, ids: ids)
        do {
            let result = try await body(store)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    case .postgres:
        return try await TestPostgres.withDatabase { database in
            try await body(SQLStore(database: database, ids: ids))
        }
    }
}

/// PostgreSQL for tests: a template database migrated once per test process, and a clone of it
/// for each test, so no two tests share data.
public enum TestPostgres {
    public static var maintenanceURL: String? {
        ProcessInfo.processInfo.environment["SKYHIGH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the environment demands the PostgreSQL suite (CI sets it).
    public static var required: Bool {
        ProcessInfo.processInfo.environment["SKYHIGH_REQUIRE_POSTGRES"] == "1"
    }

    private static let template = Mutex<Task<String, any Error>?>(nil)

    static func url(database: String) throws -> String {
        guard let base = maintenanceURL, var components = URLComponents(string: base) else {
            throw TestStoreError.notConfigured
        }
        components.path = "/" + database
        return components.string!
    }

    /// Runs `body` with the client for `url` running.
    @discardableResult
    public static func withClient<T: Sendable>(url: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = try PostgresStore.client(url: url, maximumConnections: 12)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // Immediate: the client counts as running before `body` asks for a connection.
            group.addImmediateTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            let result = try await body(client)
            return result
        }
    }

    private static func templateName() async throws -> String {
        let task = template.withLock { task in
            if let task { return task }
            let created = Task<String, any Error> {
                let name = "skyhigh_template_\(ProcessInfo.processInfo.processIdentifier)"
                try await withClient(url: try url(database: "postgres")) { admin in
                    try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"))
                    try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
                }
                try await withClient(url: try url(database: name)) { client in
                    _ = try await PostgresStore.migrate(PostgresBackend(client: client), now: Date())
                }
                return name
            }
            task = created
            return created
        }
        return try await task.value
    }

    public static func withDatabase<T: Sendable>(_ body: @Sendable (PostgresBackend) async throws -> T) async throws -> T {
        try await withDatabaseURL { backend, _ in try await body(backend) }
    }

    /// A fresh migrated database, with its URL for clients of the test's own.
    public static func withDatabaseURL<T: Sendable>(_ body: @Sendable (PostgresBackend, String) async throws -> T) async throws -> T {
        let template = try await templateName()
        let name = "skyhigh_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withClient(url: try url(database: "postgres")) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"))
        }
        let result: Result<T, any Error>
        do {
            let databaseURL = try url(database: name)
            result = .success(try await withClient(url: databaseURL) { client in
                try await body(PostgresBackend(client: client), databaseURL)
            })
        } catch {
            result = .failure(error)
        }
        try await withClient(url: try url(database: "postgres")) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
        return try result.get()
    }
}

public enum TestStoreError: Error {
    case notConfigured
}
