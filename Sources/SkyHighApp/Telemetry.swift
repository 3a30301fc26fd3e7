import Foundation
import Metrics
import Prometheus
import SkyHighCore

/// The process's Prometheus registry, bootstrapped into swift-metrics once, the first time it
/// is asked for. Every metric of the service ends up here and is served at `GET /metrics`.
public enum Telemetry {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5),
        ]
        factory.nameAndLabelSanitizer = { name, labels in (prometheusName(name), labels.map { (prometheusName($0.0), $0.1) }) }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Makes sure metrics are collected from here on (call before creating metric objects).
    public static func start() { _ = registry }

    /// Metric names from libraries, in Prometheus form (dots become underscores).
    static func prometheusName(_ name: String) -> String { name.replacingOccurrences(of: ".", with: "_") }

    /// Reads the gauges that are sampled rather than counted (queue depth, active blocks), then
    /// renders the registry.
    static func exposition(store: any SkyHighStore, clock: any WallClock) async -> [UInt8] {
        if let overview = try? await store.jobOverview(deadLimit: 0) {
            for state in JobState.allCases {
                Gauge(label: "skyhigh_jobs", dimensions: [("state", state.rawValue.lowercased())])
                    .record(overview.counts[state, default: 0])
            }
        }
        if let blocks = try? await store.activeBlocks(at: clock.now()) {
            Gauge(label: "skyhigh_abuse_active_blocks").record(blocks.count)
        }
        return registry.emitToBuffer()
    }
}
