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
        Self.bytes(address).map(contains) ?? false
    }

    func contains(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == network.count else { return false }
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
    /// Read byte by byte: every request's address passes through here.
    static func bytes(_ text: String) -> [UInt8]? {
        var utf8 = Substring(text).utf8
        let dotted = utf8.contains(UInt8(ascii: "."))
        if dotted, utf8.starts(with: "::ffff:".utf8) { utf8 = utf8.dropFirst(7) }
        if dotted && !utf8.contains(UInt8(ascii: ":")) { return ipv4(utf8) }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// Four dot-separated decimal octets.
    private static func ipv4(_ utf8: Substring.UTF8View) -> [UInt8]? {
        var octets: [UInt8] = []
        octets.reserveCapacity(4)
        var value = 0, digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets.count < 3 else { return nil }
                octets.append(UInt8(value))
                (value, digits) = (0, 0)
            } else {
                guard byte.isASCIIDigit, digits < 3 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return nil }
            }
        }
        guard digits > 0, octets.count == 3 else { return nil }
        octets.append(UInt8(value))
        return octets
    }
}

extension Array where Element == AddressRange {
    /// Whether any range holds `address`, which is parsed once.
    public func contains(address: String) -> Bool {
        guard !isEmpty, let bytes = AddressRange.bytes(address) else { return false }
        return contains { $0.contains(bytes) }
    }
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
