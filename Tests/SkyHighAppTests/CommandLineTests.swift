import Foundation
import HTTPTypes
import HummingbirdTesting
import SkyHighApp
import SkyHighTestSupport
import Testing

/// The `skyhigh` executable as a new user meets it, run as a real process with its output in a
/// pipe (as under Docker): what it prints, when, and how it fails.
@Suite(.timeLimit(.minutes(5)))
struct CommandLineTests {
    static let webhookSecret = "cli-webhook-secret-0123456789"

    /// The executable, or a failed test saying it was not built.
    func binary() throws -> String {
        try #require(SkyHighExecutable.path, "the skyhigh executable was not built beside the tests")
    }

    /// Runs `arguments` to its end (at most 60 s); its output and exit code.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (output: String, code: Int32?) {
        let output = try PipedOutput()
        let process = try ChildProcess(try binary(), arguments,
                                       environment: SkyHighExecutable.cleanEnvironment.merging(environment) { $1 },
                                       output: output)
        let ended = await waitUntil(within: .seconds(60)) { !process.isRunning }
        if !ended { await process.stop(SIGKILL) }
        #expect(ended, "skyhigh \(arguments.joined(separator: " ")) did not end within 60 s")
        // The pipe's last bytes may still be on their way to the reading thread.
        _ = await waitUntil(within: .seconds(2)) { output.current.hasSuffix("\n") }
        return (output.current, process.exitCode)
    }

    /// Starts `arguments` (a server), waits until its output contains `marker` while it runs, runs
    /// `body` with the output so far, then stops it.
    func whileRunning(_ arguments: [String], environment: [String: String] = [:], until marker: String,
                      _ body: (String) async throws -> Void) async throws {
        let output = try PipedOutput()
        let process = try ChildProcess(try binary(), arguments,
                                       environment: SkyHighExecutable.cleanEnvironment.merging(environment) { $1 },
                                       output: output)
        let seen = await waitUntil(within: .seconds(60)) { output.current.contains(marker) || !process.isRunning }
        let outcome: Result<Void, any Error>
        do {
            try #require(seen && process.isRunning,
                         "no \"\(marker)\" from a running process; its output: \(output.current.suffix(2000))")
            outcome = .success(try await body(output.current))
        } catch {
            outcome = .failure(error)
        }
        await process.stop()
        try outcome.get()
    }

    func status(port: Int, path: String) async throws -> HTTPResponse.Status {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(TestClient.Request(path, method: .get, authority: "127.0.0.1")).status
        }
    }

    @Test func versionPrintsTheVersionTheBannerShows() async throws {
        let (output, code) = try await run(["--version"])
        #expect(code == 0)
        #expect(output == SkyHighVersion.current + "\n")
    }

    @Test func theBannerComesOverAPipeOnceThePortIsBound() async throws {
        let port = try await freeTestPort()
        let address = "http://127.0.0.1:\(port)"
        try await whileRunning(["serve", "--port", "\(port)", "--database-url", "sqlite::memory:"],
                               until: "Generated webhook secret") { output in
            let lines = output.split(separator: "\n").map(String.init)
            let banner = try #require(lines.firstIndex { $0.hasPrefix("SkyHigh Core") }, "no banner in \(output)")
            #expect(lines[banner] == "SkyHigh Core \(SkyHighVersion.current) listening on \(address)")
            #expect(lines[banner + 1].hasPrefix("Generated admin token (set SKYHIGH_ADMIN_TOKEN to choose one): sh_"))
            #expect(lines[banner + 2].hasPrefix("Generated webhook secret (set SKYHIGH_WEBHOOK_SECRET to choose one): sh_"))
            // The server listens while the banner is all there is.
            let live = try await status(port: port, path: "/health/live")
            #expect(live == .ok)
        }
    }

    @Test func inJSONTheBannerIsOneLogLine() async throws {
        let port = try await freeTestPort()
        try await whileRunning(["serve", "--port", "\(port)", "--database-url", "sqlite::memory:"],
                               environment: ["SKYHIGH_LOG_FORMAT": "json", "SKYHIGH_ADMIN_TOKEN": "cli-admin-token-0123456789"],
                               until: "\"address\":\"http://127.0.0.1:\(port)\"") { output in
            let objects = output.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
            }
            let banner = try #require(objects.first { $0["address"] != nil })
            #expect(banner["message"] == "SkyHigh Core \(SkyHighVersion.current) listening on http://127.0.0.1:\(port)")
            #expect(banner["version"] == SkyHighVersion.current && banner["level"] == "notice")
            #expect(banner["generated_admin_token"] == nil)
            #expect(banner["generated_webhook_secret"]?.hasPrefix("sh_") == true)
            #expect(!output.contains("cli-admin-token-0123456789"))
        }
    }

    @Test(arguments: [("serve", "SKYHIGH_PORT or --port"), ("mock-services", "SKYHIGH_MOCK_PORT or --port")])
    func aPortInUseIsOneLineNamingTheAddress(command: String, setting: String) async throws {
        try await withOccupiedTestPort { port in
            let (output, code) = try await run(
                [command, "--port", "\(port)"],
                environment: ["SKYHIGH_DATABASE_URL": "sqlite::memory:", "SKYHIGH_WEBHOOK_SECRET": Self.webhookSecret])
            #expect(code == 1)
            let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
            #expect(lastLine == "Error: cannot listen on http://127.0.0.1:\(port): address already in use "
                    + "(another process listens there; choose another port with \(setting))")
            #expect(!output.contains("errno") && !output.contains("bind(") && !output.contains("listening on"),
                    "\(output)")
        }
    }

    @Test func mockServicesListenOnTheirPortOption() async throws {
        let port = try await freeTestPort()
        try await whileRunning(["mock-services", "--port", "\(port)", "--webhook-secret", Self.webhookSecret,
                                "--webhook-url", "http://127.0.0.1:9/payments/webhook"],
                               until: "PUT /behaviour") { output in
            #expect(output.contains("listening on http://127.0.0.1:\(port)\n"))
            #expect(output.contains("Payment webhooks go to http://127.0.0.1:9/payments/webhook\n"))
            let health = try await status(port: port, path: "/health")
            #expect(health == .ok)
        }
    }

    /// Each subcommand's options, and the variable each stands for.
    static let optionsByCommand: [String: [String: String]] = {
        let log = ["--log-level": "SKYHIGH_LOG_LEVEL", "--log-format": "SKYHIGH_LOG_FORMAT"]
        let store = ["--database-url": "SKYHIGH_DATABASE_URL"]
        let worker = store.merging(log) { $1 }.merging([
            "--admin-token": "SKYHIGH_ADMIN_TOKEN", "--webhook-secret": "SKYHIGH_WEBHOOK_SECRET",
            "--notification-secret": "SKYHIGH_NOTIFICATION_SECRET",
            "--baggage-allowance-kg": "SKYHIGH_BAGGAGE_ALLOWANCE_KG", "--excess-fee-per-kg": "SKYHIGH_EXCESS_FEE_PER_KG",
            "--currency": "SKYHIGH_CURRENCY", "--weight-service-url": "SKYHIGH_WEIGHT_SERVICE_URL",
            "--payment-service-url": "SKYHIGH_PAYMENT_SERVICE_URL", "--service-timeout-ms": "SKYHIGH_SERVICE_TIMEOUT_MS",
            "--service-retries": "SKYHIGH_SERVICE_RETRIES", "--mock-latency-ms": "SKYHIGH_MOCK_LATENCY_MS",
            "--mock-failure-rate": "SKYHIGH_MOCK_FAILURE_RATE",
        ]) { $1 }
        return [
            "serve": worker.merging(["--host": "SKYHIGH_HOST", "--port": "SKYHIGH_PORT",
                                     "--hold-seconds": "SKYHIGH_HOLD_SECONDS"]) { $1 },
            "worker": worker,
            "migrate": store.merging(log) { $1 },
            "demo-data": store.merging(log) { $1 },
            "mock-services": log.merging([
                "--host": "SKYHIGH_MOCK_HOST", "--port": "SKYHIGH_MOCK_PORT", "--webhook-url": "SKYHIGH_MOCK_WEBHOOK_URL",
                "--webhook-secret": "SKYHIGH_WEBHOOK_SECRET", "--latency-ms": "SKYHIGH_MOCK_LATENCY_MS",
                "--failure-rate": "SKYHIGH_MOCK_FAILURE_RATE",
            ]) { $1 },
        ]
    }()

    @Test(arguments: ["serve", "worker", "migrate", "demo-data", "mock-services"])
    func helpListsOnlyTheCommandsOwnOptionsEachWithItsVariable(command: String) async throws {
        let (output, code) = try await run([command, "--help"])
        #expect(code == 0)
        // An option's entry starts on a line of its own ("  --port <port>   Port to ...") and runs
        // until the next entry or section.
        var entries: [String: String] = [:]
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("--") || trimmed.hasPrefix("-h,") {
                let name = trimmed.split(separator: " ").first { $0.hasPrefix("--") }.map { String($0.split(separator: "=")[0]) }
                current = name
                if let name { entries[name] = String(line) }
            } else if line.hasPrefix("  "), let name = current {
                entries[name, default: ""] += " " + trimmed
            } else {
                current = nil
            }
        }
        let expected = try #require(Self.optionsByCommand[command])
        let listed = Set(entries.keys).subtracting(["--help", "--version"])
        #expect(listed == Set(expected.keys), "\(output)")
        for (option, variable) in expected {
            #expect(entries[option]?.contains("(\(variable);") == true, "\(option): \(entries[option] ?? "missing")")
        }
    }
}
