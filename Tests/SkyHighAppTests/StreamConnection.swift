import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A live seat-change stream held open on a blocking socket: it sends the GET, reads the answer's
/// status line, and keeps the connection until ``close()``.
final class StreamConnection: @unchecked Sendable {
    private let socketFD: Int32
    /// The answer's status code (0 if none came within 10 s), and what came with it.
    let status: Int
    let head: String

    init(port: Int, path: String, from address: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        socketFD = fd
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address4 = sockaddr_in()
        address4.sin_family = sa_family_t(AF_INET)
        address4.sin_port = in_port_t(UInt16(port).bigEndian)
        address4.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw ConnectFailed()
        }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nX-Forwarded-For: \(address)\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains("\r\n\r\n") {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        head = received
        status = Int(received.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    struct ConnectFailed: Error {}

    func close() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        Glibc.close(socketFD)
    }
}
