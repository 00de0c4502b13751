extension Dataset {
    /// Sets to NaN the pixels of `buffer` (read from `band`) equal to the band's nodata value;
    /// nothing when the band has none (or a NaN one).
    /// - Throws: `RasterError` for a band out of range.
    public func maskNodata(_ buffer: inout ImageBuffer<Float>, band: Int = 1) throws {
        guard let nodata = try self.nodata(band: band), !nodata.isNaN else { return }
        let value = Float(nodata)
        for k in buffer.storage.indices where buffer.storage[k] == value { buffer.storage[k] = .nan }
    }
}
