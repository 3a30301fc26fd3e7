import Crypto
import Foundation
import SkyHighCore

/// What the HTTP layer needs from the rest of the service.
public struct APIEnvironment: Sendable {
    public var store: any SkyHighStore
    public var clock: any WallClock
    /// How long a new hold lasts.
    public var holdDuration: TimeInterval
    /// SHA-256 of the admin token; the token itself is not kept.
    public var adminTokenHash: String
    /// How long a passenger's sign-in lasts.
    public var sessionLifetime: TimeInterval
    /// Called after a hold is placed, so the expiry sweep can wake for the new expiry.
    public var holdPlaced: @Sendable (Hold) -> Void
    /// Rate limits and the bot rule; `nil` serves everyone.
    public var abuseGuard: AbuseGuard?
    /// Seat maps served from memory.
    public var seatMaps: SeatMapCache
    /// Live seat changes for Server-Sent Events.
    public var seatChanges: SeatChangeHub
    /// The heartbeat of live seat-change streams and how long one write to a client may wait.
    public var liveEvents = LiveEventSettings()
    /// Whether requests get spans (only when traces are exported: off costs nothing).
    public var tracesRequests = false
    /// Which seat-map reads answered on the event loop get a span; `nil` when traces are off.
    public var seatMapTraces: SeatMapTraces?
    /// The access log (`SKYHIGH_ACCESS_LOG_EVERY`); `nil`: off.
    public var accessLog: AccessLog?
    /// The baggage allowance and excess fee.
    public var baggage: BaggagePolicy
    /// Check-in steps that call the Weight and Payment services.
    public var checkIns: CheckInServices
    /// Verifies payment webhooks (several comma-separated secrets while one is rotated: any of
    /// them verifies); the webhook refuses everything while it is empty.
    public var webhookSecret: String
    /// The Payment service's own rate limit for signed webhooks.
    public var webhookBudget = WebhookBudget()
    /// The Prometheus text exposition for `GET /metrics` (the application supplies the registry).
    public var metricsExposition: @Sendable () async -> [UInt8] = { Array("# metrics are not collected\n".utf8) }
    /// Session tokens seen lately, so that signed-in requests rarely cost a store round trip.
    let sessions = SessionCache()
    /// Tokens the store did not know, so that repeating one costs no store round trip.
    let unknownTokens = UnknownTokenCache()
    /// How many live seat-change streams may be open, per client and on this instance.
    public var streamLimits = StreamLimits() {
        didSet { streams = StreamSlots(limits: streamLimits) }
    }
    /// The live streams open now.
    private(set) var streams = StreamSlots(limits: StreamLimits())
    /// Bookings, which never change once imported, for the ownership checks of seat writes.
    let bookings = BookingCache()
    /// The request counters and latency histograms, by route, method and status.
    let requestMetrics = RequestMetricsCache()

    public init(store: any SkyHighStore, clock: any WallClock, holdDuration: TimeInterval, adminToken: String,
                sessionLifetime: TimeInterval = 24 * 3600, abuseGuard: AbuseGuard? = nil,
                seatMaps: SeatMapCache? = nil, seatChanges: SeatChangeHub? = nil,
                weights: any WeightService = NoExternalServices(), payments: any PaymentService = NoExternalServices(),
                baggage: BaggagePolicy = BaggagePolicy(), webhookSecret: String = "",
                holdPlaced: @escaping @Sendable (Hold) -> Void = { _ in }) {
        self.baggage = baggage
        self.checkIns = CheckInServices(store: store, weights: weights, payments: payments, policy: baggage)
        self.webhookSecret = webhookSecret
        self.abuseGuard = abuseGuard
        self.seatMaps = seatMaps ?? SeatMapCache(store: store, clock: clock)
        self.seatChanges = seatChanges ?? SeatChangeHub(store: store)
        self.store = store
        self.clock = clock
        self.holdDuration = holdDuration
        self.adminTokenHash = Tokens.hash(adminToken)
        self.sessionLifetime = sessionLifetime
        self.holdPlaced = holdPlaced
    }
}

extension APIEnvironment {
    /// Seats of `flight` changed through this instance: its next seat-map read shows it, and
    /// live followers hear of it.
    public func seatsChanged(_ flight: FlightID) {
        seatMaps.invalidate(flight)
        seatChanges.flightChanged(flight)
    }
}

/// Bearer tokens: random, URL-safe, stored and compared only as SHA-256 hashes.
public enum Tokens {
    public static func make() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return "sh_" + bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).lowercaseHex
    }

    /// Compares two hashes in time independent of where they differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
