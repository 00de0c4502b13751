import Foundation
import Testing
@testable import Raster

/// The real sample data folder from `RELIEF_SAMPLE_DATA`, nil when unset (tests then skip
/// with a message). When it is set but wrong, tests fail rather than skip.
enum SampleData {
    static let root: String? = {
        guard let value = ProcessInfo.processInfo.environment["RELIEF_SAMPLE_DATA"], !value.isEmpty else { return nil }
        return value
    }()
    static let skipMessage: Comment = "RELIEF_SAMPLE_DATA is not set: skipping the tests on real Pléiades samples"

    static func path(_ relative: String) throws -> String {
        let root = try #require(root, "RELIEF_SAMPLE_DATA unset")
        let path = root + "/" + relative
        #expect(FileManager.default.fileExists(atPath: path), "missing sample file \(path)")
        return path
    }
}

/// A fresh folder under the system temporary directory, removed by the caller's `defer`.
func makeTemporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "relief-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeFolder(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// Names in a folder, hidden ones included (to see leftover temporary files).
func folderContents(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// An image whose pixel (x, y) of band b is a distinct value, converted to T.
func patternImage<T: RasterScalar>(_ type: T.Type, width: Int, height: Int, bands: Int = 1) -> ImageBuffer<T> {
    var image = ImageBuffer<T>(width: width, height: height, bands: bands)
    for b in 0..<bands {
        for y in 0..<height {
            for x in 0..<width {
                image[x, y, b] = patternValue(T.self, x: x, y: y, band: b)
            }
        }
    }
    return image
}

func patternValue<T: RasterScalar>(_ type: T.Type, x: Int, y: Int, band: Int) -> T {
    let v = (x * 7 + y * 13 + band * 50) % 250 + 1  // 1...250: fits every type, never 0
    return T(exactly: v)!
}
