import Foundation
import HTTPTypes
import SkyHighCore
import SkyHighTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real SSE client on a socket sees every change of a randomized run, in order.
@Suite struct LiveSeatEventsTests {
    @Test func anSSEClientSeesEveryChangeInOrder() async throws {
        try await APIHarness.run(.sqlite, mode: .live) { api in
            try await api.createFlight()
            let port = try #require(api.client.port)
            let session = try await api.bookedPassenger(passengers: 9)
            let reader = SSEReader(port: port, path: "/flights/SH100/seatmap/events")
            try reader.start()
            defer { reader.stop() }
            let snapshot = try #require(await reader.events(count: 1, within: 5).first)
            #expect(snapshot.event == "snapshot" && snapshot.id == 0)
            var holds: [String] = []
            var generator = SystemRandomNumberGenerator()
            var expected = 0
            for step in 0..<40 {
                let passenger = session.passengers[step % 9]
                if !holds.isEmpty, Bool.random(using: &generator) {
                    let hold = holds.removeFirst()
                    if try await api.request(.post, "/holds/\(hold)/cancel", token: session.token).status == .ok { expected += 1 }
                } else {
                    let seat = "\(Int.random(in: 4...30, using: &generator))\(["A", "B", "C", "D", "E", "F"].randomElement(using: &generator)!)"
                    let reply = try await api.hold(seat, for: passenger, token: session.token)
                    if reply.status == .created, let id = try reply.string("holdId") {
                        holds.append(id)
                        expected += 1
                    }
                }
            }
            let events = try await api.store.events(of: FlightID("SH100")!)
            let versions = events.compactMap(\.version)
            let received = await reader.events(count: 1 + versions.count, within: 10).dropFirst()
            #expect(received.map(\.event).allSatisfy { $0 == "seat" })
            #expect(received.map(\.id) == versions)
            let last = Dictionary(received.map { ($0.seat, $0.state) }, uniquingKeysWith: { _, new in new })
            let map = try #require(try await api.store.seatMap(FlightID("SH100")!, at: api.clock.now()))
            for (seat, state) in last { #expect(map.state(of: SeatID(seat)!)?.rawValue == state) }
            #expect(expected <= versions.count)
        }
    }
}

/// A minimal Server-Sent Events client on a blocking socket, read on a thread of its own.
final class SSEReader: @unchecked Sendable {
    struct Event: Equatable, Sendable {
        var event = "", id: Int64 = -1, seat = "", state = ""
    }

    let port: Int
    let path: String
    private let parsed = Observed<Event>()
    private var socketFD: Int32 = -1

    init(port: Int, path: String) {
        self.port = port
        self.path = path
    }

    func start() throws {
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(socketFD, $0, strlen($0), 0) }
        let fd = socketFD
        Thread.detachNewThread { [self] in
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

    func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    /// The first `count` events, waiting up to `seconds` for them.
    func events(count: Int, within seconds: Double) async -> [Event] {
        await parsed.wait(within: .milliseconds(Int64(seconds * 1000))) { $0.count >= count }
        return Array(parsed.all.prefix(count))
    }

    static func parse(_ block: String) -> Event? {
        var event = Event()
        for raw in block.utf8.split(separator: UInt8(ascii: "\n")) {
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
