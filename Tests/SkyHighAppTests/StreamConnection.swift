import Foundation
import SkyHighTestSupport

/// A live seat-change stream held open on a blocking socket (a ``RawConnection``): it sends the
/// GET from `address` (as `X-Forwarded-For`), reads the answer's head, and keeps the connection
/// until ``close()``.
final class StreamConnection: Sendable {
    private let connection: RawConnection
    /// The answer's status code (0 if none came within 10 s), and what came with it.
    let status: Int
    let head: String

    init(port: Int, path: String, from address: String) throws {
        connection = try RawConnection(port: port)
        connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nX-Forwarded-For: \(address)\r\n\r\n")
        head = connection.read(until: "\r\n\r\n", within: 10) ?? ""
        status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    func close() { connection.close() }
}
