#ifndef RELIEF_CGDAL_SHIM_H
#define RELIEF_CGDAL_SHIM_H

// The parts of GDAL's C API that Relief uses. Only the Raster target imports this module.
#include <gdal.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <ogr_srs_api.h>
#include <gdal_alg.h>
#include <gdalwarper.h>

// CPLFree is a function-like macro, which Swift does not import.
static inline void relief_cpl_free(void *p) { VSIFree(p); }

#endif
