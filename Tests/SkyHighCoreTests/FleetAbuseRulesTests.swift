import Foundation
import SkyHighCore
import Testing

/// The pure parts of counting clients across the fleet: the keys they are counted by, the
/// deltas each instance hands over, the shared bucket's rule and how an instance takes it on.
@Suite struct FleetAbuseRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func ipv4IsKeyedByTheAddressAndIPv6ByItsNetwork() {
        #expect(ClientKeys.address("203.0.113.7", ipv6Prefix: 64) == "ip:203.0.113.7")
        #expect(ClientKeys.address("::ffff:203.0.113.7", ipv6Prefix: 64) == "ip:203.0.113.7")
        #expect(ClientKeys.address("2001:db8:1:2:aaaa:bbbb:cccc:dddd", ipv6Prefix: 64) == "ip:2001:db8:1:2::/64")
        #expect(ClientKeys.address("2001:0DB8:0001:0002::1", ipv6Prefix: 64) == "ip:2001:db8:1:2::/64")
        // Every address in one /64 is one client; the next /64 is another.
        let keys = Set(["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"].map {
            ClientKeys.address($0, ipv6Prefix: 64)
        })
        #expect(keys.count == 1)
        #expect(ClientKeys.address("2001:db8:1:3::1", ipv6Prefix: 64) == "ip:2001:db8:1:3::/64")
        #expect(ClientKeys.address("2001:db8:1:2::1", ipv6Prefix: 48) == "ip:2001:db8:1::/48")
        #expect(ClientKeys.address("2001:db8:1:2:3:4:5:6", ipv6Prefix: 56) == "ip:2001:db8:1::/56")
        #expect(ClientKeys.address("2001:db8:1:2ff::1", ipv6Prefix: 56) == "ip:2001:db8:1:200::/56")
        #expect(ClientKeys.address("2001:db8::1", ipv6Prefix: 128) == "ip:2001:db8::1")
        #expect(ClientKeys.address("::1", ipv6Prefix: 64) == "ip:::/64")
        #expect(ClientKeys.address("not-an-address", ipv6Prefix: 64) == "ip:not-an-address")
        #expect(ClientKeys.booking(BookingReference("ABC123")!) == "booking:ABC123")
    }

    @Test func ipv6TextIsCanonical() {
        // RFC 5952: the longest run of zero groups is shortened, the first of equal runs, and a
        // single zero group is written as 0.
        #expect(ClientKeys.address("2001:db8:0:0:1:0:0:1", ipv6Prefix: 128) == "ip:2001:db8::1:0:0:1")
        #expect(ClientKeys.address("2001:db8:0:1:1:1:1:1", ipv6Prefix: 128) == "ip:2001:db8:0:1:1:1:1:1")
        #expect(ClientKeys.address("2001:0:0:1:0:0:0:1", ipv6Prefix: 128) == "ip:2001:0:0:1::1")
        #expect(ClientKeys.address("fe80::", ipv6Prefix: 128) == "ip:fe80::")
    }

    @Test func aDeltaKeepsTokensAndTheLatestReadOfEachFlight() {
        var delta = ClientDelta()
        #expect(delta.isEmpty)
        delta.took()
        delta.took()
        delta.gaveBack()
        delta.read("F1", at: now)
        delta.read("F1", at: now - 1)
        delta.read("F2", at: now + 1)
        #expect(delta.tokens == 1)
        #expect(delta.reads == ["F1": now, "F2": now + 1])
        delta.read("F1", at: now + 2)
        #expect(delta.reads == ["F1": now + 2, "F2": now + 1])
    }

    @Test func theSharedBucketRefillsAndMayOwe() {
        var bucket = SharedBucket(burst: 10, at: now)
        bucket.charge(4, rate: 2, burst: 10, at: now)
        #expect(bucket.tokens == 6)
        // Three instances each admitted ten before hearing of each other: a debt.
        bucket.charge(30, rate: 2, burst: 10, at: now)
        #expect(bucket.tokens == -24)
        // Refilled at the rate, never past the burst; a token given back never overfills.
        bucket.charge(0, rate: 2, burst: 10, at: now + 2)
        #expect(bucket.tokens == -20)
        bucket.charge(0, rate: 2, burst: 10, at: now + 100)
        #expect(bucket.tokens == 10)
        bucket.charge(-1, rate: 2, burst: 10, at: now + 100)
        #expect(bucket.tokens == 10)
        // A batch stamped earlier than the last does not refill backwards.
        bucket.charge(1, rate: 2, burst: 10, at: now + 99)
        #expect(bucket.tokens == 9 && bucket.updated == now + 100)
    }

    @Test func anInstanceTakesOnTheFleetsBucketLessWhatItTookSince() {
        var bucket = TokenBucket(burst: 10, at: now)
        for _ in 0..<5 { _ = bucket.take(rate: 1, burst: 10, at: now) }
        // The fleet's bucket, after every instance's batch, holds 2; since sending, 1 was taken here.
        bucket.adopt(fleetTokens: 2, asOf: now, takenSince: 1, rate: 1, burst: 10, at: now)
        #expect(bucket.tokens == 1)
        #expect(bucket.take(rate: 1, burst: 10, at: now) == .allowed(remaining: 0))
        #expect(bucket.take(rate: 1, burst: 10, at: now) == .limited(retryAfter: 1))
        // An answer that arrives later counts the refill since the batch went out.
        bucket.adopt(fleetTokens: 0, asOf: now, takenSince: 0, rate: 1, burst: 10, at: now + 0.5)
        #expect(bucket.tokens == 0.5)
        // A debt is waited off: the next token comes when the debt and one token have refilled.
        bucket.adopt(fleetTokens: -3, asOf: now + 1, takenSince: 0, rate: 1, burst: 10, at: now + 1)
        #expect(bucket.take(rate: 1, burst: 10, at: now + 1) == .limited(retryAfter: 4))
        #expect(bucket.take(rate: 1, burst: 10, at: now + 5) == .allowed(remaining: 0))
    }

    @Test func newsOfASpentBudgetOnlyEverLowersTheBucket() {
        var fresh = TokenBucket(burst: 10, at: now)
        // A client this instance has not served yet used up its budget elsewhere.
        fresh.lower(toFleetTokens: -2, asOf: now - 1, takenSince: 0, rate: 1, burst: 10, at: now)
        #expect(fresh.available(rate: 1, burst: 10, at: now) == -1)
        // Older, milder news changes nothing.
        fresh.lower(toFleetTokens: 5, asOf: now - 1, takenSince: 0, rate: 1, burst: 10, at: now)
        #expect(fresh.available(rate: 1, burst: 10, at: now) == -1)
        #expect(fresh.available(rate: 1, burst: 10, at: now + 100) == 10)
    }

    @Test func blocksHeardFromTheFleetHoldUntilTheStoresCopyTakesOver() {
        var list = BlockList()
        #expect(list.isEmpty)
        list.hear("ip:198.51.100.7", until: now + 300, at: now)
        #expect(list.until("ip:198.51.100.7", at: now + 1) == now + 300)
        // On its own a heard block lasts ten seconds: the store's copy is the record.
        #expect(list.until("ip:198.51.100.7", at: now + BlockList.heardFor) == nil)
        list.replaceStored(["ip:198.51.100.7": now + 300])
        #expect(list.until("ip:198.51.100.7", at: now + 299) == now + 300)
        #expect(list.until("ip:198.51.100.7", at: now + 300) == nil)
        // A block made here holds until a reload shows whether the store kept it.
        list.add("booking:ABC123", until: now + 60)
        #expect(list.count(at: now) == 2)
        list.lift("ip:198.51.100.7")
        #expect(list.until("ip:198.51.100.7", at: now) == nil)
        list.replaceStored([:])
        #expect(list.count(at: now) == 0)
    }
}
