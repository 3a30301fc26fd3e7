import Foundation
import SkyHighCore

/// How the background repair and the retention purge run.
public struct MaintenanceSettings: Sendable, Equatable {
    /// How often due work is re-derived from the state (`SKYHIGH_REPAIR_INTERVAL_SECONDS`).
    public var repairInterval: Duration = .seconds(60)
    /// A payment still PENDING this long after its intent was created, with no reconciliation
    /// job alive for it, gets one (`SKYHIGH_PAYMENT_RECONCILE_SECONDS`).
    public var paymentReconcileAfter: TimeInterval = 300
    /// How often old rows are purged (`SKYHIGH_RETENTION_INTERVAL_SECONDS`).
    public var retentionInterval: Duration = .seconds(300)
    /// The ages and batch size of the purge.
    public var retention = RetentionPolicy()

    public init() {}

    /// The variable that sets each kind of row's age, in hours.
    public static let ageVariables: [(RetainedRecord, String)] = [
        (.sessions, "SKYHIGH_RETAIN_EXPIRED_SESSIONS_HOURS"),
        (.idempotencyKeys, "SKYHIGH_RETAIN_IDEMPOTENCY_HOURS"),
        (.finishedJobs, "SKYHIGH_RETAIN_FINISHED_JOBS_HOURS"),
        (.deliveredNotifications, "SKYHIGH_RETAIN_NOTIFICATIONS_HOURS"),
        (.paymentEvents, "SKYHIGH_RETAIN_PAYMENT_EVENTS_HOURS"),
    ]
}

extension SettingsReader {
    /// `SKYHIGH_REPAIR_INTERVAL_SECONDS`, `SKYHIGH_PAYMENT_RECONCILE_SECONDS`,
    /// `SKYHIGH_RETENTION_INTERVAL_SECONDS`, `SKYHIGH_RETENTION_BATCH_SIZE` and the ages of
    /// ``MaintenanceSettings/ageVariables``.
    mutating func maintenanceSettings() -> MaintenanceSettings {
        var settings = MaintenanceSettings()
        if let seconds = int("SKYHIGH_REPAIR_INTERVAL_SECONDS", in: 1...86_400) { settings.repairInterval = .seconds(seconds) }
        settings.paymentReconcileAfter = double("SKYHIGH_PAYMENT_RECONCILE_SECONDS", in: 1...604_800)
            ?? settings.paymentReconcileAfter
        if let seconds = int("SKYHIGH_RETENTION_INTERVAL_SECONDS", in: 1...86_400) { settings.retentionInterval = .seconds(seconds) }
        settings.retention.batchSize = int("SKYHIGH_RETENTION_BATCH_SIZE", in: 1...100_000) ?? settings.retention.batchSize
        for (record, name) in MaintenanceSettings.ageVariables {
            if let hours = double(name, in: 0...87_600) { settings.retention.ages[record] = hours * 3600 }
        }
        return settings
    }
}
