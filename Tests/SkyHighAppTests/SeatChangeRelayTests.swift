import Foundation
import SkyHighCore
import Synchronization
import Testing

@testable import SkyHighApp

@Suite struct SeatChangeRelayTests {
    /// The relay runs on every seat change an instance makes or hears of: the thousandth change
    /// costs what the first did, and does not reach its target through a growing chain of calls.
    @Test func everyChangeReachesTheTargetThroughTheSameCalls() {
        let relay = SeatChangeRelay()
        let depths = Mutex<[Int]>([])
        let flights = Mutex<[FlightID?]>([])
        relay.connect { flight in
            depths.withLock { $0.append(Thread.callStackReturnAddresses.count) }
            flights.withLock { $0.append(flight) }
        }
        for n in 0..<40 { relay.send(n.isMultiple(of: 2) ? FlightID("SH\(n)")! : nil) }

        #expect(flights.withLock { $0 }.count == 40)
        #expect(flights.withLock { $0 }.prefix(2) == [FlightID("SH0")!, nil])
        #expect(Set(depths.withLock { $0 }).count == 1, "frames per call: \(depths.withLock { $0 })")
    }
}
