import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore

/// Re-derives due work from the state, so that work a lost or dead job would have done still
/// happens: every free seat a WAITING waitlist entry wants is offered, and every payment still
/// PENDING after ``MaintenanceSettings/paymentReconcileAfter`` with no reconciliation job alive
/// gets one. Each step is safe to run on several instances at once (the store decides who gets
/// a seat; reconciling twice applies an outcome once).
struct RepairService: Service {
    let store: any SkyHighStore
    let clock: any WallClock
    let logger: Logger
    let started: StartGate
    var settings = MaintenanceSettings()
    /// Flights and payments looked at per round at most.
    var batch = 100

    struct Round: Equatable {
        var seatsOffered = 0
        var reconciliationsQueued = 0
    }

    /// One round of repair.
    @discardableResult
    func runOnce() async throws -> Round {
        var round = Round()
        let now = clock.now()
        for flight in try await store.flightsWithWaitingEntries(at: now, limit: batch) {
            do {
                let winners = try await store.offerFreeSeats(flightID: flight, at: now)
                for winner in winners {
                    DomainMetrics.waitlistAssigned()
                    logger.info("repair offered a free seat to the waitlist", metadata: [
                        "flight": "\(flight)", "seat": "\(winner.seatID?.description ?? "-")",
                        "waitlist": "\(winner.id.uuidString.lowercased())"])
                }
                round.seatsOffered += winners.count
            } catch {
                logger.warning("repair could not offer free seats", metadata: ["flight": "\(flight)", "error": "\(error)"])
            }
        }
        let cutoff = now - settings.paymentReconcileAfter
        for intent in try await store.unreconciledPayments(createdBefore: cutoff, limit: batch) {
            _ = try await store.enqueue(NewJob(ReconcilePaymentPayload(intentID: intent)), requestID: nil, at: now)
            logger.info("repair queued a payment reconciliation", metadata: ["intent": "\(intent)"])
            round.reconciliationsQueued += 1
        }
        Self.repaired.seats.increment(by: round.seatsOffered)
        Self.repaired.payments.increment(by: round.reconciliationsQueued)
        return round
    }

    static let repaired = (seats: Counter(label: "skyhigh_repairs_total", dimensions: [("kind", "seat-offered")]),
                           payments: Counter(label: "skyhigh_repairs_total", dimensions: [("kind", "payment-reconcile")]))

    func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: WakeSignal(), maximumIdle: settings.repairInterval, logger: logger,
                        name: "repair").run {
            try await runOnce()
            return nil
        }
    }
}
