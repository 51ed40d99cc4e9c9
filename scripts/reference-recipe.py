#!/usr/bin/env python3
"""The reference recipe, for the end-to-end comparison with nrtc (scripts/bench-reference runs both).

For every tile of a project written by `nrtc demo` (grid, area, STAC static catalog, SCL screening, forest mask, history,
IQR on a RIRLS fit): loads the history one solar day at a time with GDAL warp (gdal.Warp into memory, cubic for the
reflectance bands, nearest for SCL, onto the project's tile grid), masks with SCL as the project does (kept classes,
buffer around screened pixels, first valid granule wins), computes the index, fits the monitor with the JRC `nrt`
package, then monitors every later solar day loaded the same way. Prints load, fit and monitor seconds and their total,
writes each tile's mask and break dates (nrt's own report) to OUT/TILE.tif and, with --compare DIR, counts how many break
pixels agree with nrtc's reports (DIR/tiles/TILE/report.tif).

`nrt` (https://github.com/ec-jrc/nrt, EUPL-1.2) is not part of this repository: install it (`pip install nrt`) or put
its source on PYTHONPATH. It needs numpy, numba, pandas, xarray, scipy, netCDF4, rasterio and affine, and this script
GDAL's Python bindings; on Debian: apt-get install python3-numpy python3-numba python3-pandas python3-xarray
python3-scipy python3-netcdf4 python3-rasterio python3-affine python3-gdal.
"""
import argparse
import datetime
import json
import math
import os
import re
import sys
import time
import warnings

MISSING = 3  # exit code when a dependency cannot be imported (bench-reference skips the reference on it)

try:
    import numpy as np
    import xarray as xr
    from osgeo import gdal, ogr, osr
    from nrt.monitor.iqr import IQR
except ImportError as e:
    print(f"reference-recipe: cannot import {e.name or e}: {e}. The reference needs the JRC 'nrt' package "
          "(pip install nrt, or its source from https://github.com/ec-jrc/nrt on PYTHONPATH) with numpy, numba, pandas, "
          "xarray, scipy, netCDF4, rasterio, affine, and GDAL's Python bindings (Debian: python3-gdal).", file=sys.stderr)
    sys.exit(MISSING)

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

BASELINE4_START = datetime.date(2022, 1, 25)


class ProjectError(Exception):
    pass


# ---------------------------------------------------------------- project file (the keys the demo's project uses)

def _value(text, path):
    """The value of a dotted key in the demo's HOCON project file (blocks nested with braces, one key per line)."""
    stack, found = [], None
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        m = re.match(r'^([\w-]+)\s*\{$', line)
        if m:
            stack.append(m.group(1))
            continue
        if line == '}':
            stack.pop()
            continue
        m = re.match(r'^([\w-]+)\s*[=:]\s*(.+)$', line)
        if m and '.'.join(stack + [m.group(1)]) == path:
            found = m.group(2).strip()
    return found


def load_project(path):
    text = open(path, encoding='utf-8').read()

    def get(key, convert=str, default=None):
        v = _value(text, 'project.' + key)
        if v is None:
            if default is not None:
                return default
            raise ProjectError(f"{path}: project.{key} is missing; give a project written by 'nrtc demo'.")
        if v.startswith('"'):
            v = json.loads(v)
        return convert(v)

    def number_list(v):
        return [float(x) for x in v.strip('[]').split(',')]

    base = os.path.dirname(os.path.abspath(path))
    p = {
        'crs': get('grid.crs'),
        'resolution': get('grid.resolution', float),
        'origin_x': get('grid.origin-x', float),
        'origin_y': get('grid.origin-y', float),
        'tile_size': get('grid.tile-size', int),
        'bbox': get('area-of-interest.bbox', number_list),
        'catalog': os.path.join(base, get('stac.catalog')),
        'index': get('index').upper(),
        'scl_keep': [int(x) for x in get('scl-keep', number_list)],
        'buffer': get('buffer', int, 2),
        'monitor': get('monitor.name').upper(),
        'trend': get('monitor.options.trend', lambda v: v.lower() == 'true'),
        'harmonic_order': get('monitor.options.harmonic_order', int),
        'sensitivity': get('monitor.options.sensitivity', float),
        'method': get('fit.method').upper(),
        'maxiter': get('fit.maxiter', int, 50),
        'history_start': datetime.date.fromisoformat(get('history.start')),
        'history_end': datetime.date.fromisoformat(get('history.end')),
        'forest_mask': os.path.join(base, get('forest-mask.raster')),
    }
    if p['monitor'] != 'IQR' or p['method'] != 'RIRLS' or p['index'] != 'NDVI':
        raise ProjectError(f"{path}: the reference recipe here is IQR on a RIRLS fit of NDVI (the demo's); "
                           f"the project asks for {p['monitor']} on {p['method']} of {p['index']}.")
    return p


# ---------------------------------------------------------------- archive: items, solar days, scaling

def read_items(catalog):
    """Every item of a STAC static catalog, following child and item links."""
    items, todo = [], [os.path.abspath(catalog)]
    while todo:
        path = todo.pop()
        doc = json.load(open(path, encoding='utf-8'))
        if doc.get('type') == 'Feature':
            doc['_dir'] = os.path.dirname(path)
            items.append(doc)
            continue
        for link in doc.get('links', []):
            if link.get('rel') in ('child', 'item'):
                todo.append(os.path.normpath(os.path.join(os.path.dirname(path), link['href'])))
    return items


def acquired(item):
    return datetime.datetime.fromisoformat(item['properties']['datetime'].replace('Z', '+00:00')).replace(tzinfo=None)


def solar_day(item):
    """The local solar day: UTC shifted by longitude / 15 h at the bbox centre (as nrtc groups granules)."""
    b = item['bbox']
    lon = (b[0] + b[2]) / 2
    return (acquired(item) + datetime.timedelta(hours=lon / 15.0)).date()


def asset(item, common_name):
    for key, a in item['assets'].items():
        if key == common_name or any(b.get('common_name') == common_name for b in a.get('eo:bands', [])):
            return a
    raise ProjectError(f"item {item['id']} has no '{common_name}' asset")


def scaling(item, a):
    """reflectance = DN * scale + offset, decided as nrtc's earth-search profile does."""
    bands = a.get('raster:bands') or [{}]
    scale = a.get('raster:scale', bands[0].get('scale', 1e-4))
    offset = a.get('raster:offset', bands[0].get('offset'))
    props = item['properties']
    if props.get('earthsearch:boa_offset_applied') is True:
        return scale, 0.0
    if offset is not None:
        return scale, offset
    baseline = props.get('s2:processing_baseline') or props.get('processing:version')
    if baseline:
        return scale, (-0.1 if float(baseline) >= 4.0 else 0.0)
    return scale, (-0.1 if acquired(item).date() >= BASELINE4_START else 0.0)


def href(item, a):
    h = a['href']
    return h if re.match(r'^\w+://', h) else os.path.normpath(os.path.join(item['_dir'], h))


# ---------------------------------------------------------------- loading one solar day onto a tile

class Tile:
    def __init__(self, p, col, row):
        self.name = f"x{col}_y{row}"
        self.size = p['tile_size']
        self.res = p['resolution']
        self.x0 = p['origin_x'] + col * self.size * self.res
        self.y0 = p['origin_y'] - row * self.size * self.res
        self.crs = p['crs']

    def polygon(self):
        x0, y0, x1, y1 = self.bounds()
        return ogr.CreateGeometryFromWkt(f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))")

    def bounds(self, margin=0):
        m = margin * self.res
        return (self.x0 - m, self.y0 - self.size * self.res - m, self.x0 + self.size * self.res + m, self.y0 + m)

    def warp(self, path, resampling, output_type, src_nodata, dst_nodata, margin=0):
        n = self.size + 2 * margin
        ds = gdal.Warp('', path, format='MEM', dstSRS=self.crs, outputBounds=self.bounds(margin), width=n, height=n,
                       resampleAlg=resampling, outputType=output_type, srcNodata=src_nodata, dstNodata=dst_nodata,
                       warpOptions=['INIT_DEST=NO_DATA'])
        return ds.GetRasterBand(1).ReadAsArray()


def load_day(tile, items, p, valid):
    """NDVI of one solar day on the tile: granules in acquisition order, the first valid one wins per pixel."""
    n, b = tile.size, p['buffer']
    ndvi = np.full((n, n), np.nan, dtype=np.float32)
    chosen = np.zeros((n, n), dtype=bool)
    for item in items:
        red_a, nir_a, scl_a = asset(item, 'red'), asset(item, 'nir08'), asset(item, 'scl')
        bands = []
        for a in (nir_a, red_a):
            scale, offset = scaling(item, a)
            v = tile.warp(href(item, a), gdal.GRA_Cubic, gdal.GDT_Float32, a.get('nodata', 0), float('nan'))
            bands.append(v * np.float32(scale) + np.float32(offset))
        scl_grown = tile.warp(href(item, scl_a), gdal.GRA_NearestNeighbour, gdal.GDT_Byte, scl_a.get('nodata', 0), 0, margin=b)
        scl = scl_grown[b:b + n, b:b + n]
        screened = (scl_grown != 0) & ~valid[scl_grown]
        if b:
            # Any screened class within b pixels (a square window), so no kept pixel carries cloud the kernel blurred in.
            near = np.zeros((n, n), dtype=bool)
            for dy in range(2 * b + 1):
                for dx in range(2 * b + 1):
                    near |= screened[dy:dy + n, dx:dx + n]
            screened = near
        nir, red = bands
        here = ~chosen & (scl != 0) & ~np.isnan(nir) & ~np.isnan(red)
        keep = here & valid[scl] & ~screened
        with np.errstate(divide='ignore', invalid='ignore'):
            v = (nir - red) / (nir + red)
        v[~np.isfinite(v)] = np.nan
        ndvi[keep] = v[keep]
        chosen |= here
    return ndvi


def footprint(item, to_grid):
    """The item's geometry in the grid CRS (a STAC search by the tile's area finds the items it intersects)."""
    g = ogr.CreateGeometryFromJson(json.dumps(item['geometry']))
    g.Transform(to_grid)
    return g


def tiles_of(p):
    """The grid tiles the area's bbox touches."""
    wgs, grid = osr.SpatialReference(), osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    grid.SetFromUserInput(p['crs'])
    for srs in (wgs, grid):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)  # x = easting or longitude
    to_grid = osr.CoordinateTransformation(wgs, grid)
    w, s, e, n = p['bbox']
    xs, ys = [], []
    for lon in np.linspace(w, e, 17):
        for lat in np.linspace(s, n, 17):
            x, y, _ = to_grid.TransformPoint(lon, lat)
            xs.append(x)
            ys.append(y)
    extent = p['tile_size'] * p['resolution']
    cols = range(math.floor((min(xs) - p['origin_x']) / extent), math.floor((max(xs) - p['origin_x']) / extent) + 1)
    rows = range(math.floor((p['origin_y'] - max(ys)) / extent), math.floor((p['origin_y'] - min(ys)) / extent) + 1)
    return [Tile(p, c, r) for r in rows for c in cols], to_grid


# ---------------------------------------------------------------- comparison with nrtc's reports

def compare(ours_path, mask, dates):
    ds = gdal.Open(ours_path)
    ours_mask, ours_dates = ds.GetRasterBand(1).ReadAsArray(), ds.GetRasterBand(2).ReadAsArray()
    a, b = ours_mask == 3, mask == 3
    both = a & b
    return {'ours': int(a.sum()), 'reference': int(b.sum()), 'both': int(both.sum()),
            'same_date': int((both & (ours_dates == dates)).sum())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('project', help="project file written by 'nrtc demo' (its archive's static catalog is read)")
    parser.add_argument('--out', default='reference-out', help='folder for the reference reports (TILE.tif)')
    parser.add_argument('--compare', metavar='DIR', help="nrtc's output folder: count break pixels that agree with DIR/tiles/TILE/report.tif")
    parser.add_argument('--threads', type=int, default=1, help="nrt's n_threads for the fit (its default: 1)")
    args = parser.parse_args()
    started = time.perf_counter()
    try:
        p = load_project(args.project)
    except (OSError, ProjectError) as e:
        print(f"reference-recipe: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    warnings.simplefilter('ignore')
    valid = np.zeros(256, dtype=bool)
    valid[p['scl_keep']] = True

    days = {}
    tiles, to_grid = tiles_of(p)
    for item in read_items(p['catalog']):
        item['_footprint'] = footprint(item, to_grid)
        days.setdefault(solar_day(item), []).append(item)
    for v in days.values():
        v.sort(key=lambda i: (acquired(i), i['id']))

    load_s = fit_s = monitor_s = 0.0
    totals = {'ours': 0, 'reference': 0, 'both': 0, 'same_date': 0}
    history_days = monitor_days = tile_count = 0
    for tile in tiles:
        box = tile.polygon()
        tile_days = sorted((d, [i for i in its if i['_footprint'].Intersects(box)]) for d, its in days.items())
        tile_days = [(d, its) for d, its in tile_days if its]
        history = [(d, its) for d, its in tile_days if p['history_start'] <= d <= p['history_end']]
        later = [(d, its) for d, its in tile_days if d > p['history_end']]
        if not history:
            continue

        t = time.perf_counter()
        forest = tile.warp(p['forest_mask'], gdal.GRA_NearestNeighbour, gdal.GDT_Byte, None, None)
        cube = np.stack([load_day(tile, its, p, valid) for _, its in history])
        load_s += time.perf_counter() - t

        t = time.perf_counter()
        xs = tile.x0 + (np.arange(tile.size) + 0.5) * tile.res
        ys = tile.y0 - (np.arange(tile.size) + 0.5) * tile.res
        times = np.array([np.datetime64(acquired(its[0])) for _, its in history], dtype='datetime64[ns]')
        da = xr.DataArray(cube, dims=('time', 'y', 'x'), coords={'time': times, 'y': ys, 'x': xs})
        monitor = IQR(trend=p['trend'], harmonic_order=p['harmonic_order'], sensitivity=p['sensitivity'],
                      mask=(forest == 1).astype(np.uint8))
        try:
            monitor.fit(da, method='RIRLS', maxiter=p['maxiter'], n_threads=args.threads)
        except ValueError as e:
            print(f"reference-recipe: tile {tile.name}: not fitted ({e})", file=sys.stderr)
            continue
        fit_s += time.perf_counter() - t

        for _, its in later:
            t = time.perf_counter()
            ndvi = load_day(tile, its, p, valid)
            load_s += time.perf_counter() - t
            t = time.perf_counter()
            monitor.monitor(array=ndvi, date=acquired(its[0]))
            monitor_s += time.perf_counter() - t

        tile_count += 1
        history_days += len(history)
        monitor_days += len(later)
        out = os.path.join(args.out, tile.name + '.tif')
        monitor.report(out, layers=['mask', 'detection_date'], dtype=np.uint16)
        if args.compare:
            ours = os.path.join(args.compare, 'tiles', tile.name, 'report.tif')
            if os.path.exists(ours):
                for k, v in compare(ours, monitor.mask, monitor.detection_date).items():
                    totals[k] += v
            else:
                print(f"reference-recipe: no nrtc report {ours} to compare with", file=sys.stderr)

    print(f"reference: {tile_count} tiles of {tiles[0].size} x {tiles[0].size} px, {history_days} history tile-days, "
          f"{monitor_days} monitored tile-days; load {load_s:.1f} s, fit {fit_s:.1f} s, monitor {monitor_s:.1f} s, "
          f"total {load_s + fit_s + monitor_s:.1f} s (process {time.perf_counter() - started:.1f} s); reports in {args.out}")
    if args.compare:
        t = totals
        share = t['both'] / max(1, max(t['ours'], t['reference']))
        print(f"agreement: nrtc {t['ours']} break pixels, reference {t['reference']}, both {t['both']} ({share:.1%} of the larger), "
              f"same detection date {t['same_date']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
