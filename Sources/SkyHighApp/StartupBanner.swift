import Foundation
import Logging

/// What a process says once its port is bound (never before: a port it cannot bind is an error,
/// not a banner): lines on standard output, written at once, in the text log format; one log line
/// with the same facts as members in the JSON format.
public struct StartupBanner: Sendable {
    /// The first line, and the JSON line's message.
    public var headline: String
    /// Further lines of the text form.
    public var lines: [String] = []
    /// The facts of the JSON form.
    public var metadata: Logger.Metadata = [:]

    public func announce(format: LogFormat, logger: Logger) {
        switch format {
        case .text: Console.write([headline] + lines)
        case .json: logger.notice("\(headline)", metadata: metadata)
        }
    }

    /// `skyhigh serve`'s: the version, where it listens, and the secrets it generated.
    public static func serve(_ config: Configuration, port: Int) -> StartupBanner {
        let address = listenURL(host: config.host, port: port)
        var banner = StartupBanner(headline: "SkyHigh Core \(SkyHighVersion.current) listening on \(address)",
                                   metadata: ["address": "\(address)", "version": "\(SkyHighVersion.current)"])
        let generated = [("SKYHIGH_ADMIN_TOKEN", "admin token", "generated_admin_token", config.adminToken),
                         ("SKYHIGH_WEBHOOK_SECRET", "webhook secret", "generated_webhook_secret", config.webhookSecret),
                         ("SKYHIGH_NOTIFICATION_SECRET", "notification secret", "generated_notification_secret",
                          config.notificationSecret)]
        for (name, what, key, value) in generated where config.generatedSecrets.contains(name) {
            banner.lines.append("Generated \(what) (set \(name) to choose one): \(value)")
            banner.metadata[key] = "\(value)"
        }
        return banner
    }

    /// `skyhigh mock-services`'s: where it listens, where its webhooks go, how it behaves.
    public static func mockServices(_ services: ServiceSettings, port: Int) -> StartupBanner {
        let address = listenURL(host: services.mockHost, port: port)
        let webhooks = services.mockWebhookURL.absoluteString
        return StartupBanner(
            headline: "Mock Weight and Payment services (SkyHigh Core \(SkyHighVersion.current)) listening on \(address)",
            lines: ["Payment webhooks go to \(webhooks)",
                    "Latency \(services.mock.latencyMs) ms, failure rate \(services.mock.failureRate) (PUT /behaviour changes them)"],
            metadata: ["address": "\(address)", "version": "\(SkyHighVersion.current)", "webhook_url": "\(webhooks)",
                       "latency_ms": "\(services.mock.latencyMs)", "failure_rate": "\(services.mock.failureRate)"])
    }

    static func listenURL(host: String, port: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
