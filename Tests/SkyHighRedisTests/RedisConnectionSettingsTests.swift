import SkyHighRedis
import Testing

/// `redis://` URLs, good and bad, and the reconnect backoff.
@Suite struct RedisConnectionSettingsTests {
    @Test func hostAloneTakesTheDefaults() throws {
        let settings = try RedisConnectionSettings(url: "redis://cache.internal")
        #expect(settings.host == "cache.internal")
        #expect(settings.port == 6379)
        #expect(settings.database == 0)
        #expect(settings.username == nil && settings.password == nil)
        #expect(settings.commandTimeout == .milliseconds(250))
    }

    @Test func portAndDatabase() throws {
        let settings = try RedisConnectionSettings(url: "redis://127.0.0.1:6380/3")
        #expect(settings.host == "127.0.0.1" && settings.port == 6380 && settings.database == 3)
        #expect(try RedisConnectionSettings(url: "redis://h:1/").database == 0)
    }

    @Test func passwordWithoutUser() throws {
        let settings = try RedisConnectionSettings(url: "redis://:s3cret@h:7000/2")
        #expect(settings.username == nil)
        #expect(settings.password == "s3cret")
        #expect(settings.port == 7000 && settings.database == 2)
    }

    @Test func userAndPercentEncodedPassword() throws {
        let settings = try RedisConnectionSettings(url: "redis://limiter:p%40ss%3Aw%2Fd@h")
        #expect(settings.username == "limiter")
        #expect(settings.password == "p@ss:w/d")
    }

    @Test func ipv6HostInBrackets() throws {
        let settings = try RedisConnectionSettings(url: "redis://[::1]:6390/1")
        #expect(settings.host == "::1" && settings.port == 6390 && settings.database == 1)
    }

    @Test func theDescriptionMasksThePassword() throws {
        let settings = try RedisConnectionSettings(url: "redis://:topsecret@h:1/2")
        #expect(settings.description == "redis://:***@h:1/2")
        #expect(!settings.description.contains("topsecret"))
    }

    struct BadURL: Sendable, CustomTestStringConvertible {
        let url: String
        let problem: RedisURLError.Problem
        let mentions: String
        var testDescription: String { url.isEmpty ? "(empty)" : url }
    }

    static let badURLs: [BadURL] = [
        BadURL(url: "", problem: .empty, mentions: "empty"),
        BadURL(url: "cache.internal:6379", problem: .missingScheme, mentions: "redis://"),
        BadURL(url: "http://h:6379", problem: .unsupportedScheme("http"), mentions: "\"http\""),
        BadURL(url: "rediss://h:6379", problem: .unsupportedScheme("rediss"), mentions: "TLS"),
        BadURL(url: "redis://:6379/0", problem: .missingHost, mentions: "host is missing"),
        BadURL(url: "redis://h:port", problem: .invalidPort("port"), mentions: "port \"port\""),
        BadURL(url: "redis://h:70000", problem: .invalidPort("70000"), mentions: "1 to 65535"),
        BadURL(url: "redis://h:0", problem: .invalidPort("0"), mentions: "port \"0\""),
        BadURL(url: "redis://h/one", problem: .invalidDatabase("one"), mentions: "database \"one\""),
        BadURL(url: "redis://h/-1", problem: .invalidDatabase("-1"), mentions: "database \"-1\""),
        BadURL(url: "redis://h/1/2", problem: .invalidDatabase("1/2"), mentions: "database"),
        BadURL(url: "redis://h?db=1", problem: .unsupportedQuery, mentions: "query"),
        BadURL(url: "redis://:bad%zz@h", problem: .invalidPercentEncoding, mentions: "percent"),
        BadURL(url: "redis://[::1", problem: .invalidHost("[::1"), mentions: "host"),
    ]

    @Test(arguments: badURLs)
    func aBadURLIsRefusedNamingTheProblem(_ bad: BadURL) {
        let error = #expect(throws: RedisURLError.self) {
            try RedisConnectionSettings(url: bad.url)
        }
        #expect(error?.problem == bad.problem)
        #expect(error?.description.contains(bad.mentions) == true, "\(error?.description ?? "")")
    }

    @Test func aRefusedURLNeverShowsThePassword() {
        let error = #expect(throws: RedisURLError.self) {
            try RedisConnectionSettings(url: "redis://user:hunter2@h:notaport")
        }
        #expect(error?.problem == .invalidPort("notaport"))
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.contains("user:***@h:notaport") == true)
    }

    @Test func backoffDoublesUpToTheCap() {
        let backoff = RedisReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        let waits = (1...7).map { backoff.delay(afterFailures: $0, random: 0) }
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                          .seconds(1), .seconds(1), .seconds(1)])
        #expect(backoff.delay(afterFailures: 10_000, random: 0) == .seconds(1))
    }

    @Test func jitterShortensAWaitByUpToHalf() {
        let backoff = RedisReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(backoff.delay(afterFailures: 1, random: 0.5) == .milliseconds(75))
        let shortest = backoff.delay(afterFailures: 5, random: 0.999_999)
        #expect(shortest > .milliseconds(500) && shortest < .milliseconds(501))
    }
}
