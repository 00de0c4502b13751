import CGDAL
import Foundation

/// GDAL's block cache: the memory GDAL keeps for raster blocks read and written, one cap for
/// the whole process. Its default, 5 % of the RAM (1.2 GB on a 24 GB machine, 13 GB on a
/// 256 GB server), would make a command's peak memory grow with the machine instead of staying
/// within its budget, so the commands cap it and their memory plans count it.
public enum GDALBlockCache {
    /// The current cap, bytes.
    public static var bytes: Int {
        GDALEnvironment.ensureInitialized()
        return Int(GDALGetCacheMax64())
    }

    /// Lowers the cap to `bytes` (at least 8 MiB) when it is higher; never raises it. Unless
    /// the environment sets `GDAL_CACHEMAX`: a user's explicit choice wins (and is what `bytes`
    /// then reports).
    public static func bound(toAtMost bytes: Int) {
        GDALEnvironment.ensureInitialized()
        guard getenv("GDAL_CACHEMAX") == nil else { return }
        let cap = max(8 << 20, bytes)
        if Int(GDALGetCacheMax64()) > cap { GDALSetCacheMax64(GIntBig(cap)) }
    }
}
