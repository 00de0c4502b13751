import ArgumentParser
import Foundation
import Photogrammetry

/// `dsm-run rpc project|localize MODEL`: apply an RPC camera to points read on stdin.
struct RPCCommand: ParsableCommand {
    static let conventions = """
        Pixel convention: 0-based pixel centres (RPC00B, GDAL RPC metadata, rpcm): the centre of \
        the first pixel is (col, row) = (0, 0). shareloc's values are ours + 0.5; DIMAP XML offsets \
        (which count from 1) are converted on reading. Longitude and latitude in degrees (WGS84), \
        heights in metres above the WGS84 ellipsoid. Output uses full double precision. \
        Localisation refines on the RPC00B model until the re-projection error is below 1e-4 px.
        """

    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Apply an RPC camera model to points read on standard input.",
        discussion: conventions,
        subcommands: [Project.self, Localize.self]
    )

    struct ModelOptions: ParsableArguments {
        @Argument(help: ArgumentHelp(
            "An image or RPC file: GeoTIFF/NITF with RPC (or .RPB/_RPC.TXT sidecar), DIMAP v1/v2/Neo XML, OSSIM .geom, RPC text, WorldView XML.",
            valueName: "MODEL"))
        var path: String

        @Option(name: .customLong("rpc"), help: ArgumentHelp(
            "The full-scene RPC file of MODEL when MODEL is an image without one (a crop's origin in its geotransform is applied).",
            valueName: "FILE"))
        var rpcFile: String?

        @Flag(help: "Exit with status 2 when a point lies outside the model's validity domain (a warning on stderr otherwise).")
        var strict = false

        func validate() throws {
            var files = RunFiles()
            files.input("MODEL", path)
            files.input("--rpc", rpcFile)
            try files.check()
        }

        func load() throws -> RPCModel { try RPCModel.load(image: path, model: rpcFile) }

        /// Warns on stderr about the points outside `domain` (offset ± scale of each coordinate:
        /// the polynomials are fitted there and diverge quickly beyond); with --strict, exits 2.
        func checkDomain(_ values: ([Double], [Double], [Double]), _ domain: [(name: String, range: ClosedRange<Double>)]) throws {
            var outside: [Int] = []
            for k in values.0.indices {
                let point = [values.0[k], values.1[k], values.2[k]]
                if zip(point, domain).contains(where: { !$1.range.contains($0) }) { outside.append(k + 1) }
            }
            guard let first = outside.first else { return }
            let ranges = domain.map { String(format: "%@ %.6g..%.6g", $0.name, $0.range.lowerBound, $0.range.upperBound) }
            Console.error("dsm-run rpc: warning: \(outside.count) point(s) outside the model's validity domain (\(ranges.joined(separator: ", "))), "
                          + "the first on input point \(first); results there are extrapolated and may be meaningless\n")
            if strict { throw ExitCode(2) }
        }
    }

    struct Project: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "project",
            abstract: "Read 'lon lat h' lines on stdin, print 'col row' lines (0-based pixel centres).",
            discussion: RPCCommand.conventions)
        @OptionGroup var model: ModelOptions

        func run() throws {
            let rpc = try model.load()
            let values = try readTriples()
            let d = rpc.groundDomain
            try model.checkDomain(values, [("lon", d.longitude), ("lat", d.latitude), ("h", d.height)])
            let out = rpc.project(longitudes: values.0, latitudes: values.1, heights: values.2)
            printPairs(out.columns, out.rows)
        }
    }

    struct Localize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "localize",
            abstract: "Read 'col row h' lines on stdin (0-based pixel centres), print 'lon lat' lines.",
            discussion: RPCCommand.conventions)
        @OptionGroup var model: ModelOptions

        func run() throws {
            let rpc = try model.load()
            let values = try readTriples()
            let d = rpc.imageDomain
            try model.checkDomain(values, [("col", d.column), ("row", d.row), ("h", rpc.groundDomain.height)])
            let out = try rpc.localize(columns: values.0, rows: values.1, heights: values.2)
            printPairs(out.longitudes, out.latitudes)
        }
    }
}

/// Three numbers per non-empty line of stdin (blank lines and `#` comments skipped).
private func readTriples() throws -> ([Double], [Double], [Double]) {
    var a: [Double] = [], b: [Double] = [], c: [Double] = []
    var lineNumber = 0
    while let line = readLine() {
        lineNumber += 1
        let text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
        if fields.isEmpty { continue }
        let numbers = fields.compactMap { Double($0) }
        guard fields.count == 3, numbers.count == 3 else {
            throw ValidationError("stdin line \(lineNumber): expected 3 numbers, got '\(line)'")
        }
        guard numbers.allSatisfy(\.isFinite) else {
            throw ValidationError("stdin line \(lineNumber): numbers must be finite (no nan or inf), got '\(line)'")
        }
        a.append(numbers[0]); b.append(numbers[1]); c.append(numbers[2])
    }
    return (a, b, c)
}

private func printPairs(_ x: [Double], _ y: [Double]) {
    var out = ""
    out.reserveCapacity(x.count * 40)
    for (u, v) in zip(x, y) { out += "\(u) \(v)\n" }
    Console.output(out)
}
