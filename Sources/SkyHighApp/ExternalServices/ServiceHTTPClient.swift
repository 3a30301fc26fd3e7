import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SkyHighAPI
import Tracing

/// One JSON exchange with an external service: one attempt, no retries (``ResilientCall`` adds
/// those). Answers outside 2xx become a ``ServiceCallFailure`` that says whether to retry.
struct ServiceHTTPClient: Sendable {
    let baseURL: URL
    /// Time limit for one exchange; `ResilientCall` holds the same limit, this one makes sure the
    /// connection itself is given up too.
    let timeout: TimeInterval

    struct Answer: Sendable {
        let status: Int
        let body: Data
    }

    /// Sends `body` (JSON) to `path` under the base URL. Answers with a status in `accepting` are
    /// returned as they are; other statuses outside 2xx throw.
    func send(_ method: String, _ path: [String], json body: Data? = nil,
              headers: [String: String] = [:], accepting: Set<Int> = []) async throws -> Answer {
        let answer = try await exchange(method, path, json: body, headers: headers)
        guard (200..<300).contains(answer.status) || accepting.contains(answer.status) else {
            throw ServiceCallFailure.status(answer.status, body: answer.body)
        }
        return answer
    }

    /// One request and its answer, whatever the status. Inside a traced request or job it is a
    /// client span (`http.request.method`, `server.address`, `url.full`,
    /// `http.response.status_code`), and the service receives its `traceparent`.
    func exchange(_ method: String, _ path: [String], json body: Data? = nil,
                  headers: [String: String] = [:]) async throws -> Answer {
        guard InstrumentationContext.current != nil else { return try await transfer(method, path, json: body, headers: headers) }
        let url = url(path)
        return try await withSpan(method, ofKind: .client) { span in
            span.attributes["http.request.method"] = method
            span.attributes["server.address"] = url.host
            span.attributes["server.port"] = url.port
            span.attributes["url.full"] = url.absoluteString
            var headers = headers
            TraceContext.inject(into: &headers)
            let answer = try await transfer(method, path, json: body, headers: headers)
            span.attributes["http.response.status_code"] = answer.status
            if answer.status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return answer
        }
    }

    private func url(_ path: [String]) -> URL {
        var url = baseURL
        for component in path { url.appendPathComponent(component) }
        return url
    }

    private func transfer(_ method: String, _ path: [String], json body: Data?,
                          headers: [String: String]) async throws -> Answer {
        let url = url(path)
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode else {
            throw ServiceCallFailure.transient("answered something that is not HTTP")
        }
        return Answer(status: status, body: data)
    }

    func decode<T: Decodable>(_ type: T.Type, from answer: Answer) throws -> T {
        do {
            return try ServiceWireFormat.decoder.decode(type, from: answer.body)
        } catch {
            let text = String(decoding: answer.body.prefix(200), as: UTF8.self)
            throw ServiceCallFailure.rejected("answered something unreadable: \(text)")
        }
    }
}
