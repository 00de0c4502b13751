import ArgumentParser
import Foundation

@main
struct DSMRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dsm-run",
        abstract: "Relief: digital surface models and derived products from Pléiades / SPOT stereo imagery.",
        subcommands: [
            InfoCommand.self, MakeSampleCommand.self, RPCCommand.self, MatchCommand.self, RasterizeCommand.self,
            DSMCommand.self, CompareCommand.self, OrthoCommand.self, ReflectanceCommand.self, PansharpenCommand.self,
            PansharpenWaldCommand.self, PWHCommand.self,
        ],
        defaultSubcommand: nil
    )
}

/// Caps GDAL's block cache at 256 MB unless GDAL_CACHEMAX is set. Its default, 5 % of the RAM
/// (1.2 GB on a 24 GB machine, 13 GB on a 256 GB server), fills up with the blocks of inputs read
/// and outputs staged tile by tile, so a command's peak memory would grow with the machine and
/// the rasters instead of staying bounded by its tiles; 256 MB costs no speed where tiles are
/// read and written once, in order (measured: `dsm-run ortho`, `dsm-run match`).
func boundGDALBlockCache() {
    if getenv("GDAL_CACHEMAX") == nil { setenv("GDAL_CACHEMAX", "256", 1) }
}
