import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore
import SkyHighSpecification

extension RouteTable {
    mutating func addOperationalRoutes(_ env: APIEnvironment) {
        add(.get, "/health/live") { _, _ in
            try JSONBody.response(HealthResponse(status: "ok"))
        }

        add(.get, "/health/ready") { _, _ in
            do {
                try await env.store.ping()
            } catch {
                throw StoreUnavailableError("\(error)")
            }
            return try JSONBody.response(HealthResponse(status: "ready"))
        }

        // The admin token, as Prometheus's `authorization` scrape setting sends it: the metrics
        // describe the service's traffic and defences, which are nobody else's business.
        add(.get, "/metrics") { _, context in
            try context.requireAdmin()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: await env.metricsExposition())))
        }

        add(.get, "/openapi.yaml") { _, _ in
            guard let document = OpenAPIDocument.bytes else {
                throw Problem.notFound("specification-missing", "this build carries no API-SPECIFICATION.yml")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml"],
                            body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
