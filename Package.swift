// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Relief",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Raster", targets: ["Raster"]),
        .library(name: "Photogrammetry", targets: ["Photogrammetry"]),
        .executable(name: "dsm-run", targets: ["dsm-run"]),
        .executable(name: "pipeline-worker", targets: ["pipeline-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Job queue (issue 7): SQLite (embedded) and PostgreSQL backends, logs and metrics.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // HTTP front (issue 8): OGC API - Processes over the queue.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CGDAL",
            pkgConfig: "gdal",
            providers: [.apt(["libgdal-dev"])]
        ),
        .target(name: "Raster", dependencies: ["CGDAL"]),
        // The matcher's hot loops in C: SSE2 and AVX2 versions chosen at run time (no -mavx2 needed).
        .target(name: "CStereoKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "Photogrammetry", dependencies: ["Raster", "CStereoKernels"]),
        .executableTarget(
            name: "dsm-run",
            dependencies: [
                "Raster", "Photogrammetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ReliefQueue",
            dependencies: [
                "Raster", "Photogrammetry",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "ReliefServer",
            dependencies: [
                "ReliefQueue", "Photogrammetry", "Raster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "pipeline-worker",
            dependencies: [
                "ReliefQueue", "ReliefServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Benchmarks (release builds): `swift run -c release raster-bench`.
        .executableTarget(name: "raster-bench", dependencies: ["Raster"], path: "Benchmarks/raster-bench"),
        .executableTarget(name: "match-bench", dependencies: ["Raster", "Photogrammetry"], path: "Benchmarks/match-bench"),
        .executableTarget(name: "rpc-bench", dependencies: ["Photogrammetry"], path: "Benchmarks/rpc-bench"),
        .executableTarget(name: "queue-bench", dependencies: ["ReliefQueue"], path: "Benchmarks/queue-bench"),
        .testTarget(name: "RasterTests", dependencies: ["Raster"]),
        .testTarget(name: "PhotogrammetryTests", dependencies: ["Photogrammetry", "Raster"]),
        .testTarget(name: "ReliefQueueTests", dependencies: ["ReliefQueue"]),
        // The bad-input corpus: runs the dsm-run that `swift build --build-tests` builds beside the tests.
        .testTarget(name: "DSMRunTests", dependencies: ["Raster"]),
        .testTarget(
            name: "ReliefServerTests",
            dependencies: [
                "ReliefServer", "ReliefQueue",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
