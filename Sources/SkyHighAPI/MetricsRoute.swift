import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore

extension RouteTable {
    /// `GET /metrics` stays a route written by hand: its `Content-Type` names the exposition
    /// format's version (`text/plain; version=0.0.4`), which Prometheus reads and the generated
    /// server, writing the specification's bare `text/plain`, would drop.
    mutating func addMetricsRoute(_ env: APIEnvironment) {
        // The admin token, as Prometheus's `authorization` scrape setting sends it: the metrics
        // describe the service's traffic and defences, which are nobody else's business.
        add(.get, "/metrics") { _, context in
            try context.requireAdmin()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: await env.metricsExposition())))
        }
    }
}
