import ArgumentParser
import Foundation

/// A command's tiles: their default side, accepted sides and unit.
protocol TileSides {
    static var defaultSide: Int { get }
    static var range: ClosedRange<Int> { get }
    /// "pixels", "reference pixels", "cells"...
    static var unit: String { get }
    /// Why the side matters (the option's help, before its default).
    static var help: String { get }
}

/// `--tile-size`, the one name of the tile side in every command. `--tile`, its former name in
/// `dsm`, `ortho` and `pwh`, still works (hidden, with a warning) so that existing scripts run.
struct TileOptions<Sides: TileSides>: ParsableArguments {
    @Option(help: ArgumentHelp("\(Sides.help) (\(Sides.unit), default \(Sides.defaultSide)).", valueName: "side"))
    var tileSize: Int?

    @Option(name: .customLong("tile"), help: ArgumentHelp("Former name of --tile-size.", visibility: .private))
    var formerTile: Int?

    /// The side given, or the default.
    var side: Int { tileSize ?? formerTile ?? Sides.defaultSide }

    func validate() throws {
        if tileSize != nil, formerTile != nil { throw ValidationError("give --tile-size only (--tile is its former name)") }
        try NumberChecks.check(tileSize, "--tile-size", in: Sides.range, unit: Sides.unit)
        try NumberChecks.check(formerTile, "--tile", in: Sides.range, unit: Sides.unit)
        if formerTile != nil { Console.error("dsm-run: warning: --tile is now --tile-size (the former name still works)\n") }
    }
}

enum DSMTiles: TileSides {
    static let defaultSide = 300
    static let range = 16...5_000
    static let unit = "reference pixels"
    static let help = "Tile side, as s2p's"
}

enum OrthoTiles: TileSides {
    static let defaultSide = 512
    static let range = 16...8_192
    static let unit = "pixels"
    static let help = "Output tile side"
}

enum PWHTiles: TileSides {
    static let defaultSide = 512
    static let range = 16...8_192
    static let unit = "pixels"
    static let help = "Tile side of the pan-sharpening and ortho steps"
}

enum PansharpenTiles: TileSides {
    static let defaultSide = 512
    static let range = 16...8_192
    static let unit = "PAN pixels"
    static let help = "Tile side"
}

enum RasterizeTiles: TileSides {
    static let defaultSide = 512
    static let range = 16...8_192
    static let unit = "cells"
    static let help = "Tile side, bounds the memory"
}
