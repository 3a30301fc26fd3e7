import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to 127.0.0.1, for tests of what the server does with the bytes a
/// client sends (or does not send). Every call blocks, so call them through ``onOwnThread(_:)``,
/// never on Swift's cooperative pool, whose few threads the server's handlers need. Sends and
/// receives give up after 30 s, so a server that never answers fails a test instead of hanging it.
public final class RawConnection: @unchecked Sendable {
    public struct ConnectFailed: Error {}

    private let fd: Int32
    /// The bytes sent so far.
    public private(set) var sent = 0

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var limit = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw ConnectFailed()
        }
    }

    private var closed = false

    deinit { close() }

    /// Sends all of `bytes`; `false` if the connection failed first (the server closed it).
    @discardableResult
    public func send(_ bytes: some Collection<UInt8>) -> Bool {
        let all = Array(bytes)
        var offset = 0
        while offset < all.count {
            let count = all[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            offset += count
            sent += count
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Whether the server has sent something (or closed) within `seconds`.
    public func readable(within seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, Int32(seconds * 1000)) > 0
    }

    /// What the server sends until it closes the connection, waiting at most `seconds` in all;
    /// `closed` is whether it did close (an orderly close or a reset) within that time.
    public func readUntilClosed(within seconds: Double) -> (text: String, closed: Bool) {
        let deadline = Date() + seconds
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, readable(within: left) else { return (String(decoding: received, as: UTF8.self), false) }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 || errno == ECONNRESET || errno == EPIPE {
                return (String(decoding: received, as: UTF8.self), true)
            } else if errno != EINTR && errno != EAGAIN {
                return (String(decoding: received, as: UTF8.self), false)
            }
        }
    }

    /// What the server sends until it contains `marker`; `nil` if it did not within `seconds`.
    public func read(until marker: String, within seconds: Double) -> String? {
        let deadline = Date() + seconds
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, readable(within: left) else { return nil }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// One answer with a `Content-Length` body, read without waiting for the connection to end;
    /// `nil` if none came within `seconds`.
    public func readAnswer(within seconds: Double) -> String? {
        let deadline = Date() + seconds
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, readable(within: left) else { return nil }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            received += buffer[0..<count]
        }
    }

    /// Ends the connection from this side and lets go of the socket, as a client that goes away does.
    public func close() {
        guard !closed else { return }
        closed = true
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

/// Runs blocking work (sockets, here) on a thread of its own and awaits its result.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
