// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "skyhigh-core",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skyhigh", targets: ["skyhigh"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // OpenTelemetry traces over OTLP/HTTP only: the gRPC exporter (and grpc-swift) is not built.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
    ],
    targets: [
        // Domain: values, state machines, typed errors, store protocols, clock. No I/O.
        .target(name: "SkyHighCore"),
        // QR codes for boarding passes: pure Swift, no dependency.
        .target(name: "SkyHighBarcode"),
        // The relational store written once over a small SQL driver interface.
        .target(
            name: "SkyHighStore",
            dependencies: [
                "SkyHighCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SkyHighSQLite",
            dependencies: [
                "SkyHighCore", "SkyHighStore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .target(
            name: "SkyHighPostgres",
            dependencies: [
                "SkyHighCore", "SkyHighStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The OpenAPI document at the repository root, as a resource the server serves.
        .target(
            name: "SkyHighSpecification",
            resources: [.copy("../../API-SPECIFICATION.yml")]
        ),
        // HTTP: the operations generated from the specification (Sources/SkyHighAPI/openapi.yaml
        // links to API-SPECIFICATION.yml), the routes still written by hand, auth, idempotency,
        // problem+json.
        .target(
            name: "SkyHighAPI",
            dependencies: [
                "SkyHighCore", "SkyHighSpecification", "SkyHighBarcode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // Wiring: configuration, application, background services.
        .target(
            name: "SkyHighApp",
            dependencies: [
                "SkyHighCore", "SkyHighStore", "SkyHighSQLite", "SkyHighPostgres", "SkyHighAPI", "SkyHighRedis",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        // A small Redis client (RESP2 over SwiftNIO): counters shared between instances.
        .target(
            name: "SkyHighRedis",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "skyhigh",
            dependencies: [
                "SkyHighApp", "SkyHighCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Stores for tests: a fresh SQLite or PostgreSQL database per test.
        .target(
            name: "SkyHighTestSupport",
            dependencies: [
                "SkyHighCore", "SkyHighStore", "SkyHighSQLite", "SkyHighPostgres", "SkyHighRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/SkyHighTestSupport"
        ),
        .testTarget(name: "SkyHighCoreTests", dependencies: ["SkyHighCore"]),
        .testTarget(name: "SkyHighBarcodeTests", dependencies: ["SkyHighBarcode", "SkyHighTestSupport"]),
        .testTarget(
            name: "SkyHighStoreTests",
            dependencies: ["SkyHighCore", "SkyHighStore", "SkyHighTestSupport"]
        ),
        .testTarget(
            name: "SkyHighAPITests",
            dependencies: [
                "SkyHighCore", "SkyHighAPI", "SkyHighTestSupport",
                // The Weight and Payment mocks the service ships, used as the check-in's services.
                "SkyHighApp",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                // The seat-map fast path in a connection's real pipeline.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ]
        ),
        // The codec without a server; the client against a real redis-server the tests start.
        .testTarget(
            name: "SkyHighRedisTests",
            dependencies: [
                "SkyHighRedis", "SkyHighTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "SkyHighAppTests",
            dependencies: [
                "SkyHighCore", "SkyHighApp", "SkyHighTestSupport", "SkyHighAPI", "SkyHighRedis",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
