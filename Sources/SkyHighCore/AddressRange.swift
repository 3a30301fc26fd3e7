import Foundation

/// An IPv4 or IPv6 address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`).
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = Self.bytes(first) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let length, (0...bytes.count * 8).contains(length) else { return nil }
        network = bytes
        prefixLength = length
        description = text.trimmingCharacters(in: .whitespaces)
    }

    /// Whether `address` (a literal IP address) falls in the range.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address), bytes.count == network.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(bytes, network) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The bytes of a literal IPv4 or IPv6 address (an IPv4-mapped IPv6 address counts as IPv4).
    static func bytes(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("::ffff:"), text.contains(".") { text.removeFirst(7) }
        if text.contains(".") && !text.contains(":") {
            let octets = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
            guard octets.count == 4, octets.allSatisfy({ $0 != nil }) else { return nil }
            return octets.map { $0! }
        }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}

extension Array where Element == AddressRange {
    public func contains(address: String) -> Bool { contains { $0.contains(address) } }
}

/// Which address a request comes from: the peer, unless the peer is a trusted proxy, in which
/// case the nearest `X-Forwarded-For` hop that is not itself a trusted proxy.
public struct ClientAddressResolver: Sendable {
    public let trustedProxies: [AddressRange]

    public init(trustedProxies: [AddressRange]) { self.trustedProxies = trustedProxies }

    public func resolve(peer: String, forwardedFor: String?) -> String {
        guard trustedProxies.contains(address: peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !hop.isEmpty {
            guard AddressRange.bytes(hop) != nil else { return peer }
            if !trustedProxies.contains(address: hop) { return hop }
        }
        return hops.first { AddressRange.bytes($0) != nil } ?? peer
    }
}
