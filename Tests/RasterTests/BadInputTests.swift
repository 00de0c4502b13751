import Foundation
import Testing
@testable import Raster

@Suite("Bad input gives clear errors")
struct BadInputTests {
    func openError(_ path: String) -> RasterError? {
        do {
            _ = try Dataset(path: path)
            return nil
        } catch let error as RasterError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test("missing file, folder, empty file, truncated TIFF, text named .tif")
    func badFiles() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }

        let missing = openError(folder + "/nope.tif")
        #expect(missing?.kind == .notFound && missing?.path == folder + "/nope.tif")
        #expect(missing?.description.contains("nope.tif") == true)

        #expect(openError(folder)?.kind == .isDirectory)

        FileManager.default.createFile(atPath: folder + "/empty.tif", contents: Data())
        #expect(openError(folder + "/empty.tif")?.kind == .emptyFile)

        try "hello, I am not an image\n".write(toFile: folder + "/text.tif", atomically: true, encoding: .utf8)
        let text = openError(folder + "/text.tif")
        #expect(text?.kind == .openFailed)
        #expect(text?.description.contains("text.tif") == true)

        // A real tiled TIFF cut in the middle of its data: opening may work (the header is
        // intact) but reading the lost tiles must fail with an error naming band and window.
        let whole = folder + "/whole.tif"
        try writeRaster(patternImage(UInt16.self, width: 256, height: 256), to: whole,
                        options: WriteOptions(format: .geoTIFF, compression: .none, blockSize: 64))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let truncated = folder + "/truncated.tif"
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: truncated))
        do {
            let ds = try Dataset(path: truncated)
            let window = Window(width: 256, height: 256)
            do {
                _ = try ds.read(UInt16.self, band: 1, window: window)
                Issue.record("reading a truncated TIFF succeeded")
            } catch let error as RasterError {
                #expect(error.kind == .readFailed && error.band == 1 && error.window == window)
                #expect(error.path == truncated)
            }
        } catch let error as RasterError {
            #expect(error.kind == .openFailed && error.path == truncated)
        }

        let header = folder + "/header.tif"
        try bytes.prefix(12).write(to: URL(fileURLWithPath: header))
        #expect(openError(header)?.kind == .openFailed)
    }

    @Test("band index out of range")
    func badBand() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        try writeRaster(patternImage(UInt8.self, width: 8, height: 8), to: folder + "/a.tif", options: .geoTIFF)
        let ds = try Dataset(path: folder + "/a.tif")
        for band in [0, 2, -1] {
            do {
                _ = try ds.read(UInt8.self, band: band, window: ds.bounds)
                Issue.record("band \(band) was read")
            } catch let error as RasterError {
                #expect(error.kind == .bandOutOfRange && error.band == band)
                #expect(error.description.contains("1 band"))
            }
        }
        #expect(throws: RasterError.self) { try ds.nodata(band: 3) }
    }

    @Test("unwritable output: missing folder, a file as folder, a folder as the target, /proc")
    func unwritable() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let image = ImageBuffer<UInt8>(width: 4, height: 4)
        FileManager.default.createFile(atPath: folder + "/file", contents: Data("x".utf8))
        try FileManager.default.createDirectory(atPath: folder + "/taken.tif", withIntermediateDirectories: false)
        for path in [folder + "/no/such/dir/out.tif", folder + "/file/out.tif", folder + "/taken.tif", "/proc/relief-out.tif"] {
            do {
                try writeRaster(image, to: path)
                Issue.record("wrote \(path)")
            } catch let error as RasterError {
                #expect(error.kind == .createFailed && error.path == path, "\(error)")
            }
        }
        if geteuid() != 0 {  // root ignores permission bits
            let locked = folder + "/locked"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
            #expect(throws: RasterError.self) { try writeRaster(image, to: locked + "/out.tif") }
        }
        #expect(folderContents(folder) == ["file", "taken.tif"], "nothing half-written")
    }

    @Test("writing outside the raster or with a wrong band is refused")
    func badWrites() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let writer = try RasterWriter(path: folder + "/o.tif", width: 10, height: 10, type: .uint8, options: .geoTIFF)
        #expect(throws: RasterError.self) { try writer.write(ImageBuffer<UInt8>(width: 5, height: 5), x: 6, y: 0) }
        #expect(throws: RasterError.self) { try writer.write(ImageBuffer<UInt8>(width: 5, height: 5), x: 0, y: 0, bands: [2]) }
        writer.abort()
        #expect(throws: RasterError.self) { try writer.commit() }
        #expect(throws: RasterError.self) {
            try RasterWriter(path: folder + "/p.tif", width: 0, height: 10, type: .uint8)
        }
        #expect(folderContents(folder).isEmpty)
    }

    @Test("GDAL's own messages stay off stderr and are kept for logs")
    func diagnostics() throws {
        let folder = try makeTemporaryFolder()
        defer { removeFolder(folder) }
        let name = "marker-\(UInt32.random(in: 0...UInt32.max)).tif"
        try "not a raster".write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        #expect(throws: RasterError.self) { try Dataset(path: folder + "/" + name) }
        #expect(GDALDiagnostics.recentMessages().contains { $0.contains(name) })
    }
}
