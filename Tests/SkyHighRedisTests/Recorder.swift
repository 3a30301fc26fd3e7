import SkyHighRedis
import Synchronization

/// Things seen from other tasks (commands a fake server got, states a client went through),
/// for a test to look at.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func record(_ value: Value) { values.withLock { $0.append(value) } }

    var all: [Value] { values.withLock { $0 } }
}

extension Recorder where Value == RedisClientState {
    /// Records every state `client` goes through until it stops (or the test ends).
    static func following(_ client: RedisClient) -> (Recorder, Task<Void, Never>) {
        let recorder = Recorder()
        let changes = client.stateChanges()
        let task = Task {
            for await state in changes { recorder.record(state) }
        }
        return (recorder, task)
    }
}
