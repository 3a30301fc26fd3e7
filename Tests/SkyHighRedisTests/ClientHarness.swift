import Logging
import SkyHighRedis

/// Runs a client for `settings` while `body` runs, then stops it.
func withRunningClient(_ settings: RedisConnectionSettings,
                       _ body: (RedisClient) async throws -> Void) async throws {
    let client = RedisClient(settings: settings, logger: Logger(label: "test.redis") { _ in SwiftLogNoOpLogHandler() })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        try await body(client)
        group.cancelAll()
    }
}

/// Checks `condition` every 20 ms until it holds or `limit` has passed; whether it held.
/// The limit is generous: it bounds a failing test, a passing one returns as soon as it can.
func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// How long `body` took.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, ContinuousClock.now - start)
}
