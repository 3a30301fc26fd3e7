import SkyHighCore

/// Checks `condition` every 20 ms until it holds or `limit` has passed; whether it held. For
/// state that nothing reports a change of. The limit is generous: it bounds a failing test, and a
/// passing one returns as soon as the condition holds.
public func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        await WakeSignal().wait(upTo: .milliseconds(20))
    }
    return try await condition()
}
