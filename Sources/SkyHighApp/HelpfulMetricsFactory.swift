import CoreMetrics
import Prometheus

/// swift-prometheus's factory with `# HELP` lines: each metric is made with the help text that
/// ``MetricsCatalogue`` gives its name (swift-prometheus's own factory gives none). Names,
/// buckets and the removal of metrics are the wrapped factory's.
struct HelpfulMetricsFactory: MetricsFactory {
    let base: PrometheusMetricsFactory

    private var registry: PrometheusCollectorRegistry { base.registry }

    private func describe(_ label: String, _ dimensions: [(String, String)]) -> (MetricNameDescriptor, [(String, String)]) {
        let (name, labels) = base.nameAndLabelSanitizer(label, dimensions)
        return (MetricNameDescriptor(metricName: name, unitName: "", helpText: MetricsCatalogue.help(for: name)), labels)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let (descriptor, labels) = describe(label, dimensions)
        return registry.makeCounter(descriptor: descriptor, labels: labels)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let (descriptor, labels) = describe(label, dimensions)
        return registry.makeCounter(descriptor: descriptor, labels: labels)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let (descriptor, labels) = describe(label, dimensions)
        guard aggregate else { return registry.makeGauge(descriptor: descriptor, labels: labels) }
        let buckets = base.valueHistogramBuckets[descriptor.name] ?? base.defaultValueHistogramBuckets
        return registry.makeValueHistogram(descriptor: descriptor, labels: labels, buckets: buckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let (descriptor, labels) = describe(label, dimensions)
        return registry.makeGauge(descriptor: descriptor, labels: labels)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let (descriptor, labels) = describe(label, dimensions)
        let buckets = base.durationHistogramBuckets[descriptor.name] ?? base.defaultDurationHistogramBuckets
        return registry.makeDurationHistogram(descriptor: descriptor, labels: labels, buckets: buckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
