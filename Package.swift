// swift-tools-version:6.1
import PackageDescription

/// One set of settings for every target: Swift 6 language mode with complete
/// concurrency checking (the default in Swift 6 mode), and warnings as errors
/// are left to CI's `-Xswiftc -warnings-as-errors`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "picket",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "picket", targets: ["picket"]),
        // For the in-process benchmarks (Benchmarks/Package.swift), a separate package.
        .library(name: "PicketCore", targets: ["PicketCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // SQLite from the system (libsqlite3-dev), wrapped the way GRDB wraps it.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Pure logic: no I/O. Ring buffer, framing, sentences, debounce, episodes, rules.
        .target(
            name: "PicketCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // YAML configuration: loading and complete validation.
        .target(
            name: "PicketConfig",
            dependencies: ["PicketCore", "Yams"],
            swiftSettings: swiftSettings
        ),
        // Drivers behind protocols: replay, simulated field kit (real ones later).
        .target(
            name: "PicketHardware",
            dependencies: [
                // libgpiod is loaded at run time (GPIO/LibgpiodLibrary.swift): 1.x or 2.x, or none.
                "PicketCore", "PicketConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite storage: schema, migrations, batched writes, queries.
        .target(
            name: "PicketStore",
            dependencies: ["PicketCore", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        // Alert delivery: the outbox's sender, the sector endpoint, the SMS hotline.
        .target(
            name: "PicketDelivery",
            dependencies: [
                "PicketCore", "PicketStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The pipeline that ties drivers, the hot path and the store together.
        .target(
            name: "PicketDaemon",
            dependencies: [
                "PicketCore", "PicketConfig", "PicketHardware", "PicketStore", "PicketDelivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The sector service (`picket sector`): receives alerts and status from boxes over HTTP.
        .target(
            name: "PicketSector",
            dependencies: [
                "PicketCore", "PicketConfig", "PicketStore", "PicketDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line, as a library so tests can reach it.
        .target(
            name: "PicketCLI",
            dependencies: [
                "PicketCore", "PicketConfig", "PicketHardware", "PicketStore", "PicketDaemon", "PicketDelivery",
                "PicketSector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "picket",
            dependencies: ["PicketCLI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketCoreTests",
            // Crypto: the id tests compare with the old id algorithm, kept in the test.
            dependencies: ["PicketCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketConfigTests",
            dependencies: ["PicketConfig", "PicketCore"],
            swiftSettings: swiftSettings
        ),
        // Test helpers shared by the test targets (pseudo-terminals).
        .target(
            name: "PicketTestSupport",
            dependencies: [
                "PicketHardware", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/PicketTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketHardwareTests",
            dependencies: [
                "PicketHardware", "PicketCore", "PicketConfig", "PicketTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketStoreTests",
            dependencies: ["PicketStore", "PicketCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketDeliveryTests",
            dependencies: [
                "PicketDelivery", "PicketStore", "PicketCore", "PicketTestSupport", "picket",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketSectorTests",
            dependencies: [
                "PicketSector", "PicketConfig", "PicketDelivery", "PicketStore", "PicketCore", "PicketTestSupport", "picket",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The fleet page's Selenium script, run by FleetPageBrowserTests.
            exclude: ["Browser"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PicketReplayTests",
            dependencies: [
                "PicketCLI", "PicketDaemon", "PicketHardware", "PicketStore", "PicketConfig", "PicketCore", "picket",
                "PicketTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
