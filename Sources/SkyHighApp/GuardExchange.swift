import Foundation
import SkyHighAPI
import SkyHighCore
import SkyHighRedis

/// One batch of the abuse guard's activity as Redis commands, and what Redis answered.
///
/// A batch is one `EVAL` of ``script`` per chunk of clients, all sent in one pipeline: one round
/// trip. In Redis, per client, the rate limit is a hash (`SharedBucket`'s rule) and the bot rule
/// a sorted set of flights scored by their latest read; the first instance whose batch takes a
/// client past the limit sets a flag (so only one instance detects it) and appends the block to
/// a stream, the feed, that every instance reads on its next batch. A batch that uses up a
/// client's budget appends that to the feed too.
struct GuardExchange: Sendable {
    /// Every key starts with this (`skyhigh:guard:`).
    let prefix: String
    let policy: AbusePolicy
    /// Clients per `EVAL`, so one script never holds Redis for long.
    var clientsPerCall = 500

    init(prefix: String = "skyhigh:guard:", policy: AbusePolicy) {
        self.prefix = prefix
        self.policy = policy
    }

    /// Where the reading of the feed stands: `nil` before the first exchange (it then starts at the end).
    typealias Cursor = String?

    /// What the fleet answered.
    struct Outcome: Sendable, Equatable {
        /// The shared bucket of every client in the batch (when there is a rate limit).
        var fleetTokens: [String: Double] = [:]
        /// Clients this batch took past the bot rule.
        var detections: [Detection] = []
        /// Blocks and lifts read from the feed, oldest first.
        var heard: [BlockNotice] = []
        /// Clients whose budgets were used up, read from the feed, oldest first.
        var spent: [Spent] = []
        var cursor: String?
    }

    struct Spent: Sendable, Equatable {
        let clientKey: String
        let fleetTokens: Double
        let asOf: Date
    }

    struct Detection: Sendable, Equatable {
        let clientKey: String
        let alsoBlocking: [String]
        let distinct: Int
        let sample: [String]
    }

    struct MalformedReply: Error, CustomStringConvertible {
        let reply: String
        var description: String { "unexpected reply from the guard's script: \(reply.prefix(200))" }
    }

    var feedKey: String { prefix + "feed" }

    func keys(_ clientKey: String) -> [String] {
        [prefix + "bucket:" + clientKey, prefix + "reads:" + clientKey, prefix + "detected:" + clientKey]
    }

    /// The commands for `pending`: the notices go with the first call, and the last reads the feed.
    func commands(_ pending: AbuseGuard.PendingExchange, cursor: Cursor, at now: Date) -> [RedisCommand] {
        var chunks = stride(from: 0, to: pending.clients.count, by: clientsPerCall).map {
            Array(pending.clients[$0..<min($0 + clientsPerCall, pending.clients.count)])
        }
        if chunks.isEmpty { chunks = [[]] }
        return chunks.enumerated().map { index, clients in
            call(clients, notices: index == 0 ? pending.notices : [],
                 feed: index == chunks.count - 1 ? (cursor ?? "") : "-", at: now)
        }
    }

    private func call(_ clients: [AbuseGuard.PendingClient], notices: [BlockNotice], feed: String,
                      at now: Date) -> RedisCommand {
        let nowMs = Self.milliseconds(now)
        let windowMs = Int64((policy.window * 1000).rounded(.up))
        // The bucket is kept until it would be full again, at most an hour.
        let refillSeconds = policy.ratePerSecond > 0 ? policy.burst / policy.ratePerSecond : 0
        let bucketMs = Int64(min(3600, max(1, refillSeconds)) * 1000) + windowMs
        var keys = [feedKey]
        var arguments: [any RedisArgumentConvertible] = [
            nowMs, Self.decimal(policy.ratePerSecond / 1000), Self.decimal(policy.burst), windowMs, policy.seatMapLimit,
            Int64(policy.blockFor * 1000), bucketMs, feed, clients.count, notices.count,
        ]
        for client in clients {
            keys += self.keys(client.key)
            arguments += [client.key, client.alsoBlocking ?? "", client.delta.tokens, client.delta.reads.count]
            for (flight, time) in client.delta.reads { arguments += [flight, Self.milliseconds(time)] }
        }
        for notice in notices {
            keys += self.keys(notice.key)
            arguments += [notice.key, notice.until.map(Self.milliseconds) ?? 0]
        }
        return RedisCommand("EVAL", arguments: [Self.script, keys.count] + keys + arguments)
    }

    /// Reads the replies to ``commands(_:cursor:at:)``.
    func outcome(_ replies: [RESPValue], for pending: AbuseGuard.PendingExchange, cursor: Cursor) throws -> Outcome {
        var outcome = Outcome(cursor: cursor)
        var clients = pending.clients[...]
        for reply in replies {
            if let message = reply.errorMessage { throw RedisError.server(message) }
            guard let parts = reply.array, parts.count == 3, let results = parts[2].array, let heard = parts[1].array
            else { throw MalformedReply(reply: "\(reply)") }
            if let newCursor = parts[0].string, newCursor != "-" { outcome.cursor = newCursor }
            for entry in heard {
                let values = entry.array ?? []
                var fields: [String: RESPValue] = [:]
                for pair in stride(from: 0, to: values.count - 1, by: 2) {
                    if let name = values[pair].string { fields[name] = values[pair + 1] }
                }
                guard let key = fields["k"]?.string else { continue }
                if let until = fields["u"]?.integer {
                    outcome.heard.append(BlockNotice(key: key, until: until > 0 ? Self.date(until) : nil))
                } else if let milliTokens = fields["t"]?.integer, let asOf = fields["a"]?.integer {
                    outcome.spent.append(Spent(clientKey: key, fleetTokens: Double(milliTokens) / 1000, asOf: Self.date(asOf)))
                }
            }
            for result in results {
                guard let client = clients.popFirst(), let values = result.array, values.count == 4,
                      let milliTokens = values[0].integer, let distinct = values[1].integer, let detected = values[2].integer
                else { throw MalformedReply(reply: "\(result)") }
                if policy.ratePerSecond > 0 { outcome.fleetTokens[client.key] = Double(milliTokens) / 1000 }
                if detected == 1 {
                    outcome.detections.append(Detection(
                        clientKey: client.key, alsoBlocking: client.alsoBlocking.map { [$0] } ?? [], distinct: Int(distinct),
                        sample: values[3].array?.compactMap(\.string) ?? []))
                }
            }
        }
        return outcome
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// A number as Lua's `tonumber` reads it.
    static func decimal(_ value: Double) -> String { String(format: "%.12g", value) }
}
