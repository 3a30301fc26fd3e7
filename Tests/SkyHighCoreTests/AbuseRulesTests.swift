import Foundation
import SkyHighCore
import Testing

@Suite struct AbuseRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func addressRanges() throws {
        let v4 = try #require(AddressRange("10.1.0.0/16"))
        #expect(v4.contains("10.1.200.3"))
        #expect(!v4.contains("10.2.0.1"))
        #expect(v4.contains("::ffff:10.1.0.9"))
        #expect(try #require(AddressRange("192.0.2.7")).contains("192.0.2.7"))
        #expect(!(try #require(AddressRange("192.0.2.7")).contains("192.0.2.8")))
        let v6 = try #require(AddressRange("2001:db8::/32"))
        #expect(v6.contains("2001:db8:1::5"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(!v6.contains("10.1.0.1"))
        #expect(AddressRange("10.0.0.0/33") == nil)
        #expect(AddressRange("not-an-address") == nil)
        #expect(AddressRange("1.2.3") == nil)
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() {
        let resolver = ClientAddressResolver(trustedProxies: [AddressRange("10.0.0.0/8")!])
        #expect(resolver.resolve(peer: "203.0.113.5", forwardedFor: "198.51.100.1") == "203.0.113.5")
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: "198.51.100.1") == "198.51.100.1")
        // A client's own spoofed hop stays to the left of the one the proxy appended.
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: "1.1.1.1, 198.51.100.1, 10.0.0.3") == "198.51.100.1")
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: "garbage") == "10.0.0.2")
        #expect(resolver.resolve(peer: "10.0.0.2", forwardedFor: nil) == "10.0.0.2")
    }

    @Test func tokenBucket() {
        var bucket = TokenBucket(burst: 3, at: now)
        for remaining in [2, 1, 0] {
            #expect(bucket.take(rate: 2, burst: 3, at: now) == .allowed(remaining: remaining))
        }
        #expect(bucket.take(rate: 2, burst: 3, at: now) == .limited(retryAfter: 0.5))
        #expect(bucket.take(rate: 2, burst: 3, at: now + 0.5) == .allowed(remaining: 0))
        #expect(bucket.take(rate: 2, burst: 3, at: now + 100) == .allowed(remaining: 2))
    }

    @Test func distinctReadsSlideWithTheWindow() {
        var reads = DistinctSeatMapReads()
        for index in 0..<50 { #expect(reads.record("F\(index)", at: now, window: 2) == index + 1) }
        #expect(reads.record("F0", at: now + 1, window: 2) == 50)
        // Two seconds later only the one re-read at now + 1 is still inside the window.
        #expect(reads.record("G", at: now + 2, window: 2) == 2)
        #expect(reads.lastRead.count <= 2)
    }
}
