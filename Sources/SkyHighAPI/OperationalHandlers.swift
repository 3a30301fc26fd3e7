import Foundation
import OpenAPIRuntime
import SkyHighCore
import SkyHighSpecification

/// Liveness, readiness and the served specification.
extension APIHandlers {
    func getLiveness(_ input: Operations.GetLiveness.Input) async throws -> Operations.GetLiveness.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        do {
            try await environment.store.ping()
        } catch {
            throw StoreUnavailableError("\(error)")
        }
        return .ok(.init(body: .json(.init(status: .ready))))
    }

    func getOpenAPIDocument(_ input: Operations.GetOpenAPIDocument.Input) async throws -> Operations.GetOpenAPIDocument.Output {
        guard let document = OpenAPIDocument.bytes else {
            throw Problem.notFound("specification-missing", "this build carries no API-SPECIFICATION.yml")
        }
        return .ok(.init(body: .yaml(HTTPBody(document))))
    }
}
