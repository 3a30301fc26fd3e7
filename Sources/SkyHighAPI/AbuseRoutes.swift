import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addAbuseRoutes(_ env: APIEnvironment) {
        add(.get, "/admin/incidents") { _, context in
            try context.requireAdmin()
            return try JSONBody.response(IncidentsResponse(try await env.store.incidents(limit: 500)))
        }

        add(.delete, "/admin/blocks/{clientKey}") { _, context in
            try context.requireAdmin()
            let raw = context.parameters.get("clientKey") ?? ""
            let clientKey = raw.removingPercentEncoding ?? raw
            let lifted = try await env.store.liftBlock(clientKey, at: env.clock.now())
            guard !lifted.isEmpty else {
                throw Problem.notFound("block-not-found", "\(clientKey) is not blocked")
            }
            env.abuseGuard?.liftBlock(lifted)
            return Response(status: .noContent)
        }
    }
}

struct IncidentsResponse: Encodable {
    struct Body: Encodable {
        let incidentId: String
        let clientKey: String
        let rule: String
        let firstAt: Date
        let lastAt: Date
        let blockedUntil: Date?
        let evidence: JSONFragment
    }

    let incidents: [Body]

    init(_ incidents: [Incident]) {
        self.incidents = incidents.map {
            Body(incidentId: $0.id.lowercased, clientKey: $0.clientKey, rule: $0.rule, firstAt: $0.firstAt, lastAt: $0.lastAt,
                 blockedUntil: $0.blockedUntil, evidence: JSONFragment(json: $0.evidence))
        }
    }
}

/// Stored JSON, embedded as it is.
struct JSONFragment: Encodable {
    let json: String

    func encode(to encoder: any Encoder) throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        try value.encode(to: encoder)
    }
}

/// Any JSON value, for passing stored JSON through.
enum JSONValue: Codable {
    case string(String), number(Double), bool(Bool), null, array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let string = try? container.decode(String.self) { self = .string(string) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
