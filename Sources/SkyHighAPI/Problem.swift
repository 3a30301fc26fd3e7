import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem: the body of every error answer, `application/problem+json`.
/// `type` is stable per kind of error, so clients can branch on it.
public struct Problem: Error, Sendable, Encodable {
    public let type: String
    public let title: String
    public let status: Int
    public let detail: String
    /// Extra members, such as the field that failed validation.
    public var extensions: [String: String] = [:]
    /// Extra members that are lists, such as what a check-in is missing.
    public var listExtensions: [String: [String]] = [:]
    /// Headers the answer needs, such as `Allow` on a 405.
    var headers: HTTPFields = [:]

    public static let typeBase = "https://skyhigh.dev/problems/"

    init(_ kind: String, _ status: HTTPResponse.Status, _ title: String, _ detail: String,
         extensions: [String: String] = [:], lists: [String: [String]] = [:], headers: HTTPFields = [:]) {
        self.type = Self.typeBase + kind
        self.listExtensions = lists
        self.title = title
        self.status = status.code
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    enum CodingKeys: String, CodingKey { case type, title, status, detail }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status, forKey: .status)
        try container.encode(detail, forKey: .detail)
        var extra = encoder.container(keyedBy: DynamicKey.self)
        for (key, value) in extensions.sorted(by: { $0.key < $1.key }) {
            try extra.encode(value, forKey: DynamicKey(stringValue: key))
        }
        for (key, value) in listExtensions.sorted(by: { $0.key < $1.key }) {
            try extra.encode(value, forKey: DynamicKey(stringValue: key))
        }
    }

    var response: Response {
        let body = (try? JSONBody.encoder.encode(self)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

private struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Problem {
    static func badRequest(_ detail: String) -> Problem {
        Problem("malformed-request", .badRequest, "Malformed request", detail)
    }
    static func notFound(_ kind: String, _ detail: String) -> Problem {
        Problem(kind, .notFound, "Not found", detail)
    }
    static func unauthorized(_ kind: String, _ detail: String) -> Problem {
        Problem(kind, .unauthorized, "Not signed in", detail,
                headers: [.wwwAuthenticate: "Bearer realm=\"skyhigh\""])
    }
    static func forbidden(_ kind: String, _ detail: String) -> Problem {
        Problem(kind, .forbidden, "Forbidden", detail)
    }
    static func conflict(_ kind: String, _ detail: String) -> Problem {
        Problem(kind, .conflict, "Conflict with the current state", detail)
    }
    static func invalid(_ field: String, _ reason: String) -> Problem {
        Problem("validation-failed", .unprocessableContent, "Invalid request", "\(field) \(reason)",
                extensions: ["field": field])
    }
    static let bodyTooLarge = Problem("body-too-large", .contentTooLarge, "Request body too large",
                                      "request bodies are limited to \(JSONBody.maximumBytes) bytes")
}
