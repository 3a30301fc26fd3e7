import Foundation
import SkyHighCore
import Testing

@Suite struct StoreAlignedClockTests {
    @Test func aReadingBelongsToTheMiddleOfItsRoundTrip() {
        let local = ManualClock(Date(timeIntervalSince1970: 1_000))
        let clock = StoreAlignedClock(local: local)
        #expect(clock.now() == local.now())
        // Asked at 1000 s, answered at 1000.2 s local time; the store said 1003.1 s.
        clock.calibrate(storeTime: Date(timeIntervalSince1970: 1_003.1), sent: local.now(), received: local.now() + 0.2)
        #expect(abs(clock.storeOffset - 3.0) < 0.000_001)
        local.advance(by: 10)
        #expect(clock.now() == Date(timeIntervalSince1970: 1_013))
    }

    @Test func aStoreWithoutAClockOfItsOwnLeavesTheLocalTime() async throws {
        let local = ManualClock()
        let clock = StoreAlignedClock(local: local)
        let offset = try await clock.calibrate { nil }
        #expect(offset == 0)
        #expect(clock.now() == local.now())
    }

    @Test func aClockBehindTheStoreIsMovedForward() async throws {
        let local = ManualClock(Date(timeIntervalSince1970: 5_000))
        let clock = StoreAlignedClock(local: local)
        try await clock.calibrate { Date(timeIntervalSince1970: 4_990) }
        #expect(clock.storeOffset == -10)
        #expect(clock.now() == Date(timeIntervalSince1970: 4_990))
    }
}
