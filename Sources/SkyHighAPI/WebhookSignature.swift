import Crypto
import Foundation
import SkyHighCore

/// `SkyHigh-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`: how SkyHigh
/// signs what it sends (notifications, keyed by the notification secret) and checks what it
/// receives (payment webhooks, keyed by the webhook secret).
///
/// A secret setting may hold several comma-separated secrets while one is rotated: the first
/// signs, any of them verifies.
public enum WebhookSignature {
    public static let headerName = "SkyHigh-Signature"
    /// A signature whose time is further than this from now is refused (replay window).
    public static let tolerance: TimeInterval = 300

    /// The secrets a setting holds, in order: the first signs.
    public static func secrets(_ setting: String) -> [String] {
        setting.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Signs with the first of the setting's secrets.
    public static func header(body: Data, secret: String, at now: Date) -> String {
        let timestamp = Int(now.timeIntervalSince1970)
        let signing = secrets(secret).first ?? secret
        return "t=\(timestamp),v1=\(mac(timestamp: timestamp, body: body, secret: signing).lowercaseHex)"
    }

    /// Whether `header` is a valid signature of `body`, by any of the setting's secrets, made
    /// within the tolerance of `now`.
    public static func isValid(_ header: String?, body: Data, secret: String, at now: Date) -> Bool {
        secrets(secret).contains { isValid(header, body: body, oneSecret: $0, at: now) }
    }

    private static func isValid(_ header: String?, body: Data, oneSecret secret: String, at now: Date) -> Bool {
        guard let header else { return false }
        var timestamp: Int?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1" { signatures.append(pair[1].lowercased()) }
        }
        guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = Array(mac(timestamp: timestamp, body: body, secret: secret))
        return signatures.contains { candidate in
            guard let bytes = bytes(fromHex: candidate), bytes.count == expected.count else { return false }
            return zip(bytes, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    private static func mac(timestamp: Int, body: Data, secret: String) -> HashedAuthenticationCode<SHA256> {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
    }

    private static func bytes(fromHex text: String) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            result.append(byte)
            index = next
        }
        return result
    }
}
