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
        MetricsSystem.bootstrap(HelpfulMetricsFactory(base: factory))
        MetricsCatalogue.startAtZero()
        return registry
    }()

    /// Makes sure metrics are collected from here on (call before creating metric objects).
    public static func start() { _ = registry }

    /// Metric names from libraries, in Prometheus form (dots become underscores).
    static func prometheusName(_ name: String) -> String { name.replacingOccurrences(of: ".", with: "_") }

    /// The registry as Prometheus text. A scrape reads only memory: the gauges that describe the
    /// store (job queue, blocks) are kept current by the services that read it anyway
    /// (``JobGauges``, ``BlockSync``), so a scrape costs the database nothing, however often it comes.
    static func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
