// swift-tools-version:6.1
// In-process benchmarks of Picket's hot path with ordo-one's benchmark package (formerly package-benchmark).
// A package of its own so the main package's build and CI never compile it:
//
//     cd Benchmarks && swift package benchmark
//
import Foundation
import PackageDescription

/// A path dependency is named after its folder (`main`, `picket`, a worktree's
/// name), so the product is looked up under whatever the parent folder is called.
let picketPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent

let package = Package(
    name: "picket-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PicketHotPath",
            dependencies: [
                .product(name: "PicketCore", package: picketPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PicketHotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
