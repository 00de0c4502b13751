import Foundation
import Testing
@testable import Raster

@Suite("Window reads")
struct WindowReadTests {
    /// A 13x11 two-band Int32 raster whose pixel values are `patternValue`.
    static func makeRaster(in folder: String) throws -> String {
        let path = folder + "/pattern.tif"
        try writeRaster(patternImage(Int32.self, width: 13, height: 11, bands: 2), to: path,
                        options: WriteOptions(format: .geoTIFF, blockSize: 16))
        return path
    }

    /// Checks every pixel of a window read: the pattern inside the image, `fill` outside.
    func check(_ buffer: ImageBuffer<Int32>, window: Window, bands: [Int], fill: Int32) {
        #expect(buffer.width == window.width && buffer.height == window.height && buffer.bandCount == bands.count)
        for (i, band) in bands.enumerated() {
            for y in 0..<window.height {
                for x in 0..<window.width {
                    let gx = window.x + x, gy = window.y + y
                    let inside = gx >= 0 && gx < 13 && gy >= 0 && gy < 11
                    let expected = inside ? patternValue(Int32.self, x: gx, y: gy, band: band - 1) : fill
                    if buffer[x, y, i] != expected {
                        Issue.record("window \(window) band \(band) pixel (\(gx),\(gy)): \(buffer[x, y, i]) != \(expected)")
                        return
                    }
                }
            }
        }
    }

    @Test("windows at every border and corner, larger than the image, and fully outside")
    func bordersAndCorners() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let ds = try Dataset(path: try Self.makeRaster(in: folder))
        var windows: [Window] = []
        for x in [-3, 0, 5, 10, 13] {          // left outside, left edge, inside, crossing right, right outside
            for y in [-4, 0, 4, 8, 11] {
                windows.append(Window(x: x, y: y, width: 5, height: 5))
            }
        }
        windows.append(Window(x: -5, y: -5, width: 30, height: 25))  // larger than the image on all sides
        windows.append(Window(x: 0, y: 0, width: 13, height: 11))    // exactly the image
        windows.append(Window(x: 12, y: 10, width: 1, height: 1))    // the last pixel
        windows.append(Window(x: 100, y: 100, width: 3, height: 3))  // far outside
        for window in windows {
            for bands in [[1], [2], [2, 1]] {
                let buffer = try ds.read(Int32.self, window: window, bands: bands, fill: -7)
                check(buffer, window: window, bands: bands, fill: -7)
            }
        }
    }

    @Test("filled buffers (the fill of window reads, by doubling byte copies) equal Array(repeating:), every count 0...300")
    func filledBuffers() {
        for count in 0...300 {
            #expect(filledArray(Float.nan, count: count).map(\.bitPattern) == Array(repeating: Float.nan.bitPattern, count: count))
            #expect(filledArray(UInt16(0xBEEF), count: count) == Array(repeating: UInt16(0xBEEF), count: count))
            #expect(filledArray(-1.25, count: count) == Array(repeating: -1.25, count: count))
            #expect(filledArray(UInt8(7), count: count) == Array(repeating: UInt8(7), count: count))
        }
        let image = ImageBuffer<Int32>(width: 7, height: 5, bands: 3, rowStride: 9, filledWith: -3)
        #expect(image.storage.count == 9 * 5 * 3 && image.storage.allSatisfy { $0 == -3 })
    }

    @Test("reads convert types as GDAL does")
    func conversion() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let ds = try Dataset(path: try Self.makeRaster(in: folder))
        let asFloat = try ds.read(Double.self, band: 1, window: Window(x: 2, y: 3, width: 4, height: 4))
        #expect(asFloat[1, 2] == Double(patternValue(Int32.self, x: 3, y: 5, band: 0)))
        let asByte = try ds.read(UInt8.self, band: 2, window: Window(x: 0, y: 0, width: 13, height: 11))
        #expect(asByte[4, 4] == UInt8(patternValue(Int32.self, x: 4, y: 4, band: 1)))
    }

    @Test("an empty window and an empty band list are errors, not crashes")
    func emptyRequests() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let ds = try Dataset(path: try Self.makeRaster(in: folder))
        #expect(throws: RasterError.self) { try ds.read(Int32.self, window: Window(x: 0, y: 0, width: 0, height: 3)) }
        #expect(throws: RasterError.self) { try ds.read(Int32.self, window: ds.bounds, bands: []) }
    }
}
