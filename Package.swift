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
        .executableTarget(
            name: "pipeline-worker",
            dependencies: [
                "Raster", "Photogrammetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks (release builds): `swift run -c release raster-bench`.
        .executableTarget(name: "raster-bench", dependencies: ["Raster"], path: "Benchmarks/raster-bench"),
        .executableTarget(name: "match-bench", dependencies: ["Raster", "Photogrammetry"], path: "Benchmarks/match-bench"),
        .executableTarget(name: "rpc-bench", dependencies: ["Photogrammetry"], path: "Benchmarks/rpc-bench"),
        .testTarget(name: "RasterTests", dependencies: ["Raster"]),
        .testTarget(name: "PhotogrammetryTests", dependencies: ["Photogrammetry", "Raster"]),
    ],
    swiftLanguageModes: [.v6]
)
