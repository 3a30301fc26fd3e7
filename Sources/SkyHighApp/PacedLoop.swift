import Foundation
import Logging
import ServiceLifecycle
import SkyHighCore

/// The loop the background services share: do the work that is due, then sleep until the next
/// due time the work reports (at most `maximumIdle`) or until woken, until graceful shutdown.
/// A failing round is logged and tried again after the idle time; a cancelled one ends the loop.
struct PacedLoop {
    let clock: any WallClock
    let wake: WakeSignal
    let maximumIdle: Duration
    let logger: Logger
    let name: String

    /// `round` does the due work and returns when more will be due, if it knows. Graceful
    /// shutdown wakes the loop and ends it after the round in progress: work that has started
    /// (a job, a sweep) finishes instead of being cancelled half-way.
    func run(_ round: @Sendable @escaping () async throws -> Date?) async {
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                var delay = maximumIdle
                do {
                    if let next = try await round() {
                        let wait = max(0, next.timeIntervalSince(clock.now()))
                        delay = min(delay, .milliseconds(Int64(wait * 1000) + 1))
                    }
                } catch {
                    // Cancelled (the service group stops, say because the server could not
                    // listen): not a failure worth a warning.
                    if Task.isCancelled { break }
                    logger.warning("\(name) failed; retrying", metadata: ["error": "\(error)"])
                }
                guard !Task.isShuttingDownGracefully else { break }
                await wake.wait(upTo: delay)
            }
        } onGracefulShutdown: {
            wake.signal()
        }
    }
}
