import Foundation
import SkyHighCore

extension SQLStore {
    static let notificationColumns = "notification_id, passenger_id, flight_id, kind, body, created_at, delivered_at"

    /// Writes a message to the outbox and enqueues its delivery, in the caller's transaction:
    /// nothing is sent for a change that did not commit.
    func notify(_ passengerID: PassengerID, on flightID: FlightID, kind: String, body: [String: String],
                at now: Date, _ sql: any SQLExecutor) async throws {
        let id = ids()
        var message = body
        message["kind"] = kind
        message["flightId"] = flightID.rawValue
        message["passengerId"] = passengerID.uuidString.lowercased()
        message["notificationId"] = id.uuidString.lowercased()
        try await sql.run("""
            INSERT INTO notifications (\(raw: Self.notificationColumns)) VALUES (\(id), \(passengerID), \(flightID.rawValue), \(kind), \(JSONEncoder.payload(message)), \(now), NULL)
            """)
        try await enqueue(NewJob(DeliverNotificationPayload(id: id)), at: now, sql)
    }

    public func outboxMessage(_ id: UUID) async throws -> OutboxMessage? {
        try await run("SELECT \(raw: Self.notificationColumns) FROM notifications WHERE notification_id = \(id)")
            .first?.outboxMessage()
    }

    public func markDelivered(_ id: UUID, at now: Date) async throws {
        try await run("""
            UPDATE notifications SET delivered_at = \(now) WHERE notification_id = \(id) AND delivered_at IS NULL
            """)
    }

    public func outboxMessages(for passengerID: PassengerID) async throws -> [OutboxMessage] {
        try await run("""
            SELECT \(raw: Self.notificationColumns) FROM notifications WHERE passenger_id = \(passengerID) ORDER BY created_at, notification_id
            """).map { try $0.outboxMessage() }
    }
}

extension SQLRow {
    func outboxMessage() throws -> OutboxMessage {
        OutboxMessage(id: try uuid("notification_id"), passengerID: try uuid("passenger_id"), flightID: try flightID("flight_id"),
                      kind: try string("kind"), body: try string("body"), createdAt: try date("created_at"),
                      deliveredAt: try optionalDate("delivered_at"))
    }
}
