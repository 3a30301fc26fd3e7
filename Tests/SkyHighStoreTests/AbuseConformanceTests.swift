import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

@Suite struct AbuseConformanceTests {
    @Test(arguments: StoreKind.available)
    func incidentsBlockUntilLiftedOrExpired(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let incident = Incident(id: UUID(), clientKey: "ip:198.51.100.7", rule: "seatmap-scan", firstAt: now - 2, lastAt: now,
                                    evidence: #"{"distinctSeatMaps":51}"#, blockedUntil: now + 300)
            try await store.recordIncident(incident)
            #expect(try await store.incidents(limit: 10) == [incident])
            #expect(try await store.activeBlocks(at: now) == ["ip:198.51.100.7": now + 300])
            #expect(try await store.activeBlocks(at: now + 300).isEmpty)
            // A second detection extends the block.
            let again = Incident(id: UUID(), clientKey: "ip:198.51.100.7", rule: "seatmap-scan", firstAt: now + 10,
                                 lastAt: now + 12, evidence: "{}", blockedUntil: now + 312)
            try await store.recordIncident(again)
            #expect(try await store.activeBlocks(at: now) == ["ip:198.51.100.7": now + 312])
            #expect(try await store.incidents(limit: 10).map(\.id) == [again.id, incident.id])
            #expect(try await store.liftBlock("ip:198.51.100.7", at: now) == ["ip:198.51.100.7"])
            #expect(try await store.activeBlocks(at: now).isEmpty)
            #expect(try await store.liftBlock("ip:198.51.100.7", at: now).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aBookingsBlockCoversItsAddressAndIsLiftedWithIt(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let incident = Incident(id: UUID(), clientKey: "booking:ABC123", rule: "seatmap-scan", firstAt: now - 2,
                                    lastAt: now, evidence: "{}", blockedUntil: now + 300)
            try await store.recordIncident(incident, alsoBlocking: ["ip:2001:db8:1:2::/64"])
            #expect(try await store.activeBlocks(at: now) == ["booking:ABC123": now + 300, "ip:2001:db8:1:2::/64": now + 300])
            // Lifting either lifts both: they are one incident's.
            #expect(try await store.liftBlock("ip:2001:db8:1:2::/64", at: now) == ["booking:ABC123", "ip:2001:db8:1:2::/64"])
            #expect(try await store.activeBlocks(at: now).isEmpty)
        }
    }
}
