import Foundation

/// The keys the abuse guard counts and blocks clients by: `booking:ABC123` for a signed-in
/// booking, `ip:...` for an address.
///
/// An IPv4 address is its own key. An IPv6 client is keyed by its network (the first
/// `ipv6Prefix` bits, 64 by default), because one subscriber usually gets a whole /64 and could
/// otherwise pick a fresh address, and so a fresh budget, for every request.
public enum ClientKeys {
    public static func booking(_ reference: BookingReference) -> String { "booking:\(reference)" }

    /// `ip:203.0.113.7`, `ip:2001:db8:1:2::/64`; an IPv4-mapped IPv6 address is keyed as IPv4,
    /// and text that is no address at all is kept as it is (it can only come from the socket).
    public static func address(_ address: String, ipv6Prefix: Int) -> String {
        // Every request passes here: IPv4 text, by far the most common, is used as it is.
        guard address.utf8.contains(UInt8(ascii: ":")) else { return "ip:" + address }
        guard let bytes = AddressRange.bytes(address) else { return "ip:" + address }
        if bytes.count == 4 { return "ip:" + bytes.map(String.init).joined(separator: ".") }
        let prefix = min(max(ipv6Prefix, 0), 128)
        let network = masked(bytes, prefixLength: prefix)
        return prefix == 128 ? "ip:" + ipv6Text(network) : "ip:\(ipv6Text(network))/\(prefix)"
    }

    /// `bytes` with every bit past the first `prefixLength` cleared.
    static func masked(_ bytes: [UInt8], prefixLength: Int) -> [UInt8] {
        var remaining = prefixLength
        return bytes.map { byte in
            let bits = min(8, max(0, remaining))
            remaining -= 8
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }

    /// The canonical text of a 16-byte IPv6 address (RFC 5952): lower-case hexadecimal groups
    /// without leading zeros, the longest run of two or more zero groups (the first, on a tie)
    /// written `::`.
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var (bestStart, bestLength, start) = (-1, 0, -1)
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start < 0 { start = index }
            } else if start >= 0 {
                if index - start > bestLength { (bestStart, bestLength) = (start, index - start) }
                start = -1
            }
        }
        let hex = { (group: UInt16) in String(group, radix: 16) }
        guard bestLength >= 2 else { return groups.map(hex).joined(separator: ":") }
        let head = groups[..<bestStart].map(hex).joined(separator: ":")
        let tail = groups[(bestStart + bestLength)...].map(hex).joined(separator: ":")
        return head + "::" + tail
    }
}
