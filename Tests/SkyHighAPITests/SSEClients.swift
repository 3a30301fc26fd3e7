import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SkyHighTestSupport

/// A minimal Server-Sent Events client on a blocking socket, read on a thread of its own.
final class SSEReader: @unchecked Sendable {
    struct Event: Equatable, Sendable {
        var event = "", id: Int64 = -1, seat = "", state = ""
    }

    let port: Int
    let path: String
    let lastEventID: String?
    private let parsed = Observed<Event>()
    private var socketFD: Int32 = -1

    init(port: Int, path: String, lastEventID: String? = nil) {
        self.port = port
        self.path = path
        self.lastEventID = lastEventID
    }

    func start() throws {
        let headers = lastEventID.map { ["Last-Event-ID: \($0)"] } ?? []
        socketFD = try RawHTTPSocket.open(port: port, get: path, headers: headers)
        let fd = socketFD
        Thread.detachNewThread { [self] in
            // The socket is closed here, by the thread that reads it: closed in `stop()`, its
            // number could be reused by the next socket the process opens before this thread's
            // next `recv`, which would then read another connection's bytes.
            defer { Glibc.close(fd) }
            var pending = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { return }
                pending += String(decoding: buffer[0..<count], as: UTF8.self)
                while let range = pending.range(of: "\n\n") {
                    let block = String(pending[..<range.lowerBound])
                    pending.removeSubrange(..<range.upperBound)
                    if let event = Self.parse(block) { parsed.report(event) }
                }
            }
        }
    }

    /// Ends the connection; the reading thread then lets go of the socket.
    func stop() { shutdown(socketFD, Int32(SHUT_RDWR)) }

    /// The first `count` events, waiting up to `seconds` for them.
    func events(count: Int, within seconds: Double) async -> [Event] {
        await parsed.wait(within: .milliseconds(Int64(seconds * 1000))) { $0.count >= count }
        return Array(parsed.all.prefix(count))
    }

    /// Events and heartbeats; a heartbeat (a comment line) reads as the event `heartbeat`.
    static func parse(_ block: String) -> Event? {
        var event = Event()
        for raw in block.utf8.split(separator: UInt8(ascii: "\n")) {
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if line == ": heartbeat" { event.event = "heartbeat" }
            if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
            if line.hasPrefix("id: ") { event.id = Int64(String(line.dropFirst(4))) ?? -1 }
            if line.hasPrefix("data: "), event.event == "seat",
               let data = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any] {
                event.seat = data["seatId"] as? String ?? ""
                event.state = data["state"] as? String ?? ""
            }
        }
        return event.event.isEmpty ? nil : event
    }
}

/// A client that asks for a stream and then stops reading, on a socket with the smallest
/// buffers the kernel allows, so the server's writes soon wait for it.
final class StalledReader: @unchecked Sendable {
    private let socketFD: Int32

    init(port: Int, path: String) throws {
        socketFD = try RawHTTPSocket.open(port: port, get: path, headers: []) { fd in
            var small: Int32 = 1024
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            var segment: Int32 = 536
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_MAXSEG, &segment, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Reads what the server sent until it closes the connection; `false` if it is still open
    /// after `seconds` without data.
    func drainsToTheEnd(idleLimit seconds: Int) -> Bool {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socketFD, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
            if count < 0 { return false }
        }
    }

    func stop() { RawHTTPSocket.close(socketFD) }
}

/// A blocking socket to 127.0.0.1 that has sent one GET.
enum RawHTTPSocket {
    struct ConnectFailed: Error {}

    static func open(port: Int, get path: String, headers: [String],
                     beforeConnecting configure: (Int32) -> Void = { _ in }) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        configure(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ConnectFailed() }
        let request = (["GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream"] + headers)
            .joined(separator: "\r\n") + "\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        return fd
    }

    static func close(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
