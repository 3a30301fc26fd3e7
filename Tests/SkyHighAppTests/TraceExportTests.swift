import Foundation
import HTTPTypes
import SkyHighTestSupport
import Testing

/// Without python3 and `opentelemetry-proto` the trace tests are skipped; CI sets
/// SKYHIGH_REQUIRE_OTLP=1 and then a missing receiver fails the run instead.
@Suite struct OTLPRequirementTests {
    @Test func theTraceTestsRunWhenRequired() {
        if OTLPReceiverProcess.required {
            #expect(OTLPReceiverProcess.isInstalled,
                    "SKYHIGH_REQUIRE_OTLP=1 but python3 cannot import opentelemetry-proto (pip install opentelemetry-proto)")
            #expect(Fleet.binary != nil, "SKYHIGH_REQUIRE_OTLP=1 but the skyhigh executable was not built beside the tests")
        }
    }
}

/// A real `skyhigh serve` exporting to a real OTLP/HTTP receiver (scripts/otlp/receiver.py).
@Suite(.enabled(if: OTLPReceiverProcess.isInstalled && Fleet.binary != nil,
                "needs python3 with opentelemetry-proto (pip install opentelemetry-proto) and the built skyhigh"))
struct TraceExportTests {
    static let admin = "trace-admin-token-0123456789"

    /// A client's own span, sent as `traceparent` on the requests it makes.
    struct ClientSpan {
        let traceID = Self.hex(16)
        let spanID = Self.hex(8)
        var headers: HTTPFields { [HTTPField.Name("traceparent")!: "00-\(traceID)-\(spanID)-01"] }

        static func hex(_ bytes: Int) -> String {
            (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
        }
    }

    @Test func aHoldACancelTheWaitlistJobAndItsNotificationAreOneTrace() async throws {
        let receiver = try await OTLPReceiverProcess.start()
        do {
            try await oneTrace(receiver)
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    func oneTrace(_ receiver: OTLPReceiverProcess) async throws {
        try await withServe([
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_SERVICE_NAME": "skyhigh-trace-test",
            "SKYHIGH_NOTIFICATION_URL": "\(receiver.endpoint)/notifications", "SKYHIGH_ACCESS_LOG_EVERY": "1",
        ]) { serve in
            for counter in ["skyhigh_trace_spans_dropped_total", "skyhigh_trace_spans_export_failed_total"] {
                let text = try await serve.request(.get, "/metrics", token: Self.admin).body
                #expect(text.contains("\n\(counter) 0\n"), "\(counter) is there from the first scrape")
            }
            let (token, passengers) = try await booking(on: serve)
            let client = ClientSpan()
            let hold = try await serve.request(.post, "/flights/TR1/seats/1A/hold", token: token,
                                               json: #"{"passengerId":"\#(passengers[0])"}"#, headers: client.headers)
            #expect(hold.status == .created, "\(hold.body)")
            let holdID = try #require(hold.object()["holdId"] as? String)
            // Joined without a traceparent: a trace of its own.
            let joined = try await serve.request(.post, "/flights/TR1/waitlist", token: token,
                                                 json: #"{"passengerId":"\#(passengers[1])","preferences":{"seats":["1A"]}}"#)
            #expect(joined.object()["state"] as? String == "WAITING", "\(joined.body)")
            let cancelled = try await serve.request(.post, "/holds/\(holdID)/cancel", token: token, headers: client.headers)
            #expect(cancelled.status == .ok, "\(cancelled.body)")

            func inTrace() -> [[String: Any]] { receiver.spans().filter { $0["trace_id"] as? String == client.traceID } }
            func named(_ name: String) -> [String: Any]? { inTrace().first { $0["name"] as? String == name } }
            let complete = await waitUntil(within: .seconds(30)) {
                named("job notification.deliver") != nil
                    && inTrace().contains { $0["kind"] as? String == "SPAN_KIND_CLIENT" && ($0["attributes"] as? [String: Any])?["url.full"] != nil }
            }
            try #require(complete, "spans of the trace: \(inTrace().map { $0["name"] ?? "" }); log: \(serve.logText.suffix(3000))")

            let holdSpan = try #require(named("POST /flights/{flightId}/seats/{seatId}/hold"))
            let cancelSpan = try #require(named("POST /holds/{holdId}/cancel"))
            for (span, status) in [(holdSpan, 201), (cancelSpan, 200)] {
                #expect(span["kind"] as? String == "SPAN_KIND_SERVER")
                #expect(span["parent_span_id"] as? String == client.spanID, "the client's traceparent is honoured")
                #expect(span["service"] as? String == "skyhigh-trace-test")
                let attributes = try #require(span["attributes"] as? [String: Any])
                #expect(attributes["http.request.method"] as? String == "POST")
                #expect(attributes["http.response.status_code"] as? Int == status)
                #expect((attributes["http.route"] as? String)?.contains("{") == true)
            }
            let offer = try #require(named("job waitlist.offer-seat"))
            #expect(offer["kind"] as? String == "SPAN_KIND_CONSUMER")
            #expect(offer["parent_span_id"] as? String == cancelSpan["span_id"] as? String, "the cancel enqueued it")
            let deliver = try #require(named("job notification.deliver"))
            #expect(deliver["parent_span_id"] as? String == offer["span_id"] as? String, "the assignment enqueued it")
            let webhook = try #require(inTrace().first { ($0["attributes"] as? [String: Any])?["url.full"] != nil })
            #expect(webhook["parent_span_id"] as? String == deliver["span_id"] as? String)
            let delivered = receiver.records().first { $0["received"] as? String == "/notifications" }
            #expect(delivered?["traceparent"] as? String == "00-\(client.traceID)-\(webhook["span_id"] as? String ?? "")-01",
                    "the notification's receiver gets the trace context")

            // Store transactions are spans of the request or job they ran for, without bound values.
            let store = inTrace().filter { ($0["attributes"] as? [String: Any])?["db.system.name"] as? String == "sqlite" }
            #expect(store.contains { $0["parent_span_id"] as? String == holdSpan["span_id"] as? String })
            #expect(store.contains { $0["parent_span_id"] as? String == offer["span_id"] as? String })
            let texts = store.compactMap { ($0["attributes"] as? [String: Any])?["db.query.text"] as? String }
            #expect(!texts.isEmpty && !texts.contains { $0.contains(passengers[0]) || $0.contains(holdID) || $0.contains("TR1") })

            // The join is a trace of its own; log lines name the trace and span they ran in.
            let join = try #require(receiver.spans().first { $0["name"] as? String == "POST /flights/{flightId}/waitlist" })
            #expect(join["trace_id"] as? String != client.traceID && join["parent_span_id"] as? String == "")
            let lines = serve.logText.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
            let assigned = lines.first { $0["message"] as? String == "waitlist assigned seat" }
            #expect(assigned?["trace_id"] as? String == client.traceID)
            #expect(assigned?["span_id"] as? String == offer["span_id"] as? String)
            // The access log line of the hold names its route, status, request and trace.
            let access = lines.first {
                $0["message"] as? String == "access" && $0["route"] as? String == "/flights/{flightId}/seats/{seatId}/hold"
            }
            #expect(access?["status"] as? String == "201" && access?["method"] as? String == "POST")
            #expect(access?["trace_id"] as? String == client.traceID && access?["span_id"] as? String == holdSpan["span_id"] as? String)
            #expect(access?["request_id"] as? String == hold.headers[HTTPField.Name("X-Request-Id")!])
        }
    }

    @Test func aDeadCollectorChangesNothingForClients() async throws {
        let nobody = try await freeTestPort()
        try await withServe([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(nobody)", "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BSP_MAX_QUEUE_SIZE": "4", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2", "OTEL_EXPORTER_OTLP_TIMEOUT": "1000",
        ]) { serve in
            let (token, passengers) = try await booking(on: serve)
            let client = ClientSpan()
            for seat in ["4A", "4B", "4C", "5A", "5B", "5C"] {
                let started = ContinuousClock.now
                let hold = try await serve.request(.post, "/flights/TR1/seats/\(seat)/hold", token: token,
                                                   json: #"{"passengerId":"\#(passengers[0])"}"#, headers: client.headers)
                #expect(hold.status == .created, "\(hold.body)")
                let holdID = try #require(hold.object()["holdId"] as? String)
                let cancelled = try await serve.request(.post, "/holds/\(holdID)/cancel", token: token)
                #expect(cancelled.status == .ok, "\(cancelled.body)")
                #expect(ContinuousClock.now - started < .seconds(3), "a hold and a cancel wait for no collector")
            }
            for _ in 0..<20 {
                #expect(try await serve.request(.get, "/flights/TR1/seatmap", token: token).status == .ok)
            }
            let lost = await waitUntil(within: .seconds(30)) {
                let dropped = (try? await serve.metric("skyhigh_trace_spans_dropped_total", token: Self.admin)) ?? 0
                let failed = (try? await serve.metric("skyhigh_trace_spans_export_failed_total", token: Self.admin)) ?? 0
                return dropped + failed > 0
            }
            #expect(lost, "spans that could not be exported are counted: \(serve.logText.suffix(2000))")
            #expect(try await serve.request(.get, "/health/ready").status == .ok)
        }
    }

    // MARK: Set-up

    /// Flight TR1 and a booking of two passengers, signed in: the token and the passengers' ids.
    func booking(on serve: Fleet.Instance) async throws -> (token: String, passengers: [String]) {
        let departure = Date.ISO8601FormatStyle().format(Date() + 3 * 86_400)
        let flight = try await serve.request(.post, "/admin/flights", token: Self.admin, json: """
            {"flightId":"TR1","flightNumber":"SH700","origin":"LHR","destination":"JFK","departureTime":"\(departure)","aircraftType":"A320"}
            """)
        try #require(flight.status == .created, "\(flight.body)")
        let booking = try await serve.request(.post, "/admin/bookings", token: Self.admin, json: """
            {"bookingReference":"TRC001","flightId":"TR1","passengers":[{"firstName":"A","lastName":"One"},{"firstName":"B","lastName":"Two"}]}
            """)
        try #require(booking.status == .created, "\(booking.body)")
        let passengers = (booking.object()["passengers"] as? [[String: Any]] ?? []).compactMap { $0["passengerId"] as? String }
        let session = try await serve.request(.post, "/sessions", json: #"{"bookingReference":"TRC001","lastName":"One"}"#)
        return (try #require(session.object()["token"] as? String, "\(session.body)"), passengers)
    }

    /// One `skyhigh serve` on a fresh SQLite file, JSON logs, with `settings`, while `body` runs.
    func withServe(_ settings: [String: String], _ body: (Fleet.Instance) async throws -> Void) async throws {
        let binary = try #require(Fleet.binary)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skyhigh-traces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SKYHIGH_") && !$0.key.hasPrefix("OTEL_") }
        environment.merge([
            "SKYHIGH_DATABASE_URL": "sqlite:\(folder.appendingPathComponent("store.sqlite").path)",
            "SKYHIGH_ADMIN_TOKEN": Self.admin, "SKYHIGH_WEBHOOK_SECRET": "trace-webhook-secret-0123456789",
            "SKYHIGH_HOST": "127.0.0.1", "SKYHIGH_LOG_FORMAT": "json", "SKYHIGH_SERVER_THREADS": "1",
        ].merging(settings) { $1 }) { $1 }
        var serve: Fleet.Instance?
        for attempt in 0..<3 where serve == nil {
            let port = try await freeTestPort()
            environment["SKYHIGH_PORT"] = "\(port)"
            let log = folder.appendingPathComponent("serve-\(attempt).log").path
            let started = Fleet.Instance(port: port, process: try ChildProcess(binary, ["serve"], environment: environment, log: log),
                                         log: log)
            let ready = await waitUntil(within: .seconds(60)) {
                guard started.process.isRunning else { return true }
                return (try? await started.request(.get, "/health/ready").status) == .ok
            }
            if ready && started.process.isRunning {
                serve = started
            } else {
                await started.process.stop()
                // A free port may be taken by another test before the server binds it.
                try #require(started.logText.contains("Address already in use"), "serve did not start: \(started.logText.suffix(2000))")
            }
        }
        let running = try #require(serve, "serve found no free port")
        do {
            try await body(running)
        } catch {
            await running.process.stop()
            throw error
        }
        await running.process.stop()
    }
}
