import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addJobRoutes(_ env: APIEnvironment) {
        add(.get, "/admin/jobs") { _, context in
            try context.requireAdmin()
            return try JSONBody.response(JobsResponse(try await env.store.jobOverview(deadLimit: 100)))
        }

        add(.post, "/admin/jobs/{jobId}/retry") { _, context in
            try context.requireAdmin()
            let id = try context.uuid("jobId", kind: "job-not-found", noun: "job")
            return try JSONBody.response(JobResponse(try await env.store.retryDeadJob(id, at: env.clock.now())))
        }
    }
}
