"""Run Circuitscape ``.ini`` files and write Circuitscape's output files.

:func:`run_ini` reads a Circuitscape 4/5 configuration (sections are ignored, as in
Circuitscape.jl), its grids (``.asc``, ``.asc.gz``, ``.tif``), focal-node, included-pairs,
variable-source, source and ground files, runs the scenario with the camigeo engine and
writes the same output files, with the same names and formats, as Circuitscape.jl.
"""

from __future__ import annotations

import gzip
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CamigeoError, CamigeoWarning, DataNotFoundError
from .engine import (
    Focal,
    GridOptions,
    advanced_grid,
    advanced_network,
    one_to_all_grid,
    pairwise_grid,
    pairwise_network,
)
from .graph import conductance_grid, graph_from_edges

__all__ = ["read_ini", "run_ini", "read_grid", "write_grid", "DEFAULTS", "SUPPORTED_KEYS"]

logger = logging.getLogger(__name__)

NODATA = -9999.0

DEFAULTS: dict[str, str] = {
    "data_type": "raster",
    "scenario": "pairwise",
    "habitat_map_is_resistances": "true",
    "connect_four_neighbors_only": "false",
    "connect_using_avg_resistances": "false",
    "ground_file_is_resistances": "true",
    "remove_src_or_gnd": "keepall",
    "solver": "cg+amg",
    "use_polygons": "false",
    "use_mask": "false",
    "use_included_pairs": "false",
    "use_variable_source_strengths": "false",
    "use_unit_currents": "false",
    "use_direct_grounds": "false",
    "write_cur_maps": "false",
    "write_volt_maps": "false",
    "write_max_cur_maps": "false",
    "write_cum_cur_map_only": "false",
    "log_transform_maps": "false",
    "set_null_currents_to_nodata": "false",
    "set_null_voltages_to_nodata": "false",
    "set_focal_node_currents_to_zero": "false",
    "use_reclass_table": "false",
    "compress_grids": "false",
    "write_as_tif": "false",
    "precision": "double",
}

SUPPORTED_KEYS = set(DEFAULTS) | {
    "habitat_file", "point_file", "polygon_file", "mask_file", "included_pairs_file",
    "variable_source_file", "source_file", "ground_file", "output_file", "reclass_file",
}
# Keys that only tune the upstream run (logging, threads, memory) and do not change results.
_IGNORED_KEYS = {
    "version", "low_memory_mode", "parallelize", "max_parallel", "print_timings",
    "print_rusages", "preemptive_memory_release", "log_level", "log_file",
    "profiler_log_file", "screenprint_log", "suppress_messages", "cholmod_batch_size",
    "time_solve", "use_64bit_indexing", "num_threads",
}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}
_SCENARIOS = {"pairwise", "one-to-all", "all-to-one", "advanced"}


def _bool(cfg: dict[str, str], key: str) -> bool:
    v = cfg.get(key, DEFAULTS.get(key, "false")).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise CamigeoError(f"INI option {key} = {v!r}: expected True/False (or 1/0).")


def read_ini(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a Circuitscape INI into a flat ``{key: value}`` dict (sections ignored).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Lower-case keys, stripped string values; missing keys are *not* filled in
        (see :data:`DEFAULTS`).
    """
    p = Path(path)
    if p.is_dir():
        raise DataNotFoundError(f"{p} is a folder; expected a Circuitscape .ini file.")
    if not p.is_file():
        raise DataNotFoundError(f"Circuitscape INI file {p} does not exist.")
    data = p.read_bytes()
    if b"\x00" in data[:65536]:
        raise CamigeoError(f"{p}: not a Circuitscape INI file (binary content: NUL bytes). "
                           f"Pass the .ini text file Circuitscape or its GUI wrote.")
    cfg: dict[str, str] = {}
    for raw in data.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;[":
            continue
        if "=" not in line:
            continue
        k, v = line.split("=", 1)
        cfg[k.strip().lower()] = v.strip()
    if not any(k in SUPPORTED_KEYS or k in _IGNORED_KEYS for k in cfg):
        raise CamigeoError(
            f"{p}: not a Circuitscape INI file (no Circuitscape option found in "
            f"{len(data)} bytes). Expected 'key = value' lines such as 'habitat_file = "
            f"habitat.asc', 'point_file = ...', 'output_file = ...'.")
    return cfg


#: Options a scenario reads; a GUI placeholder in any other option is ignored, as in
#: Circuitscape.
_USED_BY = {
    "remove_src_or_gnd": ("advanced",),
}


def _check_options(cfg: dict[str, str], path: Path) -> None:
    import difflib

    problems = []
    unknown = sorted(k for k in cfg if k not in SUPPORTED_KEYS and k not in _IGNORED_KEYS
                     and not k.startswith("_"))
    known = sorted(SUPPORTED_KEYS | _IGNORED_KEYS)
    for k in unknown:
        close = difflib.get_close_matches(k, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else " (not a Circuitscape option)"
        warnings.warn(f"{path}: unknown INI option {k!r} is ignored{hint}", CamigeoWarning,
                      stacklevel=3)
    scen = cfg.get("scenario", "pairwise").strip().lower()
    for key, modes in _USED_BY.items():  # GUI placeholders where the mode does not read them
        if key in cfg and scen not in modes and cfg[key].strip().lower() not in (
                "keepall", "rmvsrc", "rmvgnd", "rmvall"):
            logger.info("%s: %s = %s ignored (not used by scenario %s)", path, key,
                        cfg[key], scen)
            del cfg[key]
    if _bool(cfg, "set_focal_node_currents_to_zero") and scen != "pairwise":
        problems.append("set_focal_node_currents_to_zero = True (supported for the "
                        "pairwise scenario only)")
    if scen not in _SCENARIOS:
        problems.append(f"scenario = {scen} (supported: {', '.join(sorted(_SCENARIOS))})")
    dt = cfg.get("data_type", "raster").strip().lower()
    if dt not in ("raster", "network"):
        problems.append(f"data_type = {dt} (supported: raster, network)")
    solver = cfg.get("solver", "cg+amg").strip().lower()
    if solver not in ("cg+amg", "amg", "cholmod", "pardiso", "accelerate", "mkl_pardiso"):
        problems.append(f"solver = {solver} (supported: cg+amg, cholmod; pardiso and "
                        f"accelerate map to a direct solver)")
    prec = cfg.get("precision", "double").strip().lower()
    if prec not in ("double", "single", "none"):
        problems.append(f"precision = {prec} (supported: double, single)")
    rule = cfg.get("remove_src_or_gnd", "keepall").strip().lower()
    if rule not in ("keepall", "rmvsrc", "rmvgnd", "rmvall"):
        problems.append(f"remove_src_or_gnd = {rule} (supported: keepall, rmvsrc, rmvgnd, "
                        f"rmvall)")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise CamigeoError(f"{path}: unsupported Circuitscape option(s):\n{lines}")


# ----------------------------------------------------------------------------- grids
def _open_text(p: Path):
    if p.suffix == ".gz":
        return gzip.open(p, "rt")
    return open(p)  # noqa: SIM115


def read_grid(path: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, float]]:
    """Read an ESRI ASCII grid (``.asc``/``.asc.gz``) or a GeoTIFF.

    Returns
    -------
    (array, header)
        ``float64`` values with NaN for NODATA, and the header (ncols, nrows, xllcorner,
        yllcorner, cellsize, nodata_value).
    """
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"Grid file {p} does not exist (check the INI path).")
    name = p.name.lower()
    if name.endswith((".tif", ".tiff", ".tif.gz")):
        from ..io.raster import Raster

        if name.endswith(".gz"):
            import tempfile

            with tempfile.TemporaryDirectory() as td:
                tmp = Path(td) / p.name[:-3]
                with gzip.open(p, "rb") as fi:
                    tmp.write_bytes(fi.read())
                r = Raster.from_file(tmp)
        else:
            r = Raster.from_file(p)
        arr = r.masked_float()
        t = r.transform
        hdr: dict[str, float] = {"ncols": r.width, "nrows": r.height, "xllcorner": t.c,
               "yllcorner": t.f + t.e * r.height, "cellsize": abs(t.a),
               "nodata_value": NODATA}
        return arr, hdr
    hdr = {}
    with _open_text(p) as f:
        pos_lines = 0
        while True:
            line = f.readline()
            parts = line.split()
            if len(parts) == 2 and parts[0][0].isalpha():
                try:
                    hdr[parts[0].lower()] = float(parts[1])
                except ValueError:
                    raise CamigeoError(f"{p}: header line {pos_lines + 1} {line.strip()!r}: "
                                       f"the value is not a number.") from None
                pos_lines += 1
                continue
            break
        from ..io.guards import check_alloc

        try:
            ncols = int(hdr["ncols"])
            nrows = int(hdr["nrows"])
        except KeyError as exc:
            raise CamigeoError(f"{p}: not an ESRI ASCII grid (header lacks {exc}). A grid "
                               f"starts with ncols, nrows, xllcorner, yllcorner, cellsize "
                               f"lines.") from exc
        if ncols < 1 or nrows < 1 or not hdr.get("cellsize", 1) > 0:
            raise CamigeoError(f"{p}: header ncols={ncols}, nrows={nrows}, cellsize="
                               f"{hdr.get('cellsize')}: expected positive values.")
        check_alloc(float(ncols) * nrows * 40.0, what=f"grid {p} ({nrows:,} x {ncols:,} "
                    f"cells)", fix="Check the header's ncols/nrows, or coarsen the grid.")
        rest = line + f.read()
    try:
        vals = np.array(rest.split(), dtype=np.float64)
    except ValueError:
        vals = None
    if vals is None:
        for ln, text in enumerate(rest.splitlines(), start=pos_lines + 1):
            for tok in text.split():
                try:
                    float(tok)
                except ValueError:
                    raise CamigeoError(
                        f"{p}: line {ln}: {tok[:40]!r} is not a number; an ASCII grid holds "
                        f"numbers only after its header (NODATA as {int(NODATA)}). Fix that "
                        f"row.") from None
        raise CamigeoError(f"{p}: the grid values could not be read as numbers.")
    if vals.size != ncols * nrows:
        raise CamigeoError(f"{p}: header says {nrows} x {ncols} cells but the file holds "
                           f"{vals.size} values.")
    arr = vals.reshape(nrows, ncols)
    if "xllcenter" in hdr:
        hdr["xllcorner"] = hdr["xllcenter"] - hdr["cellsize"] / 2
        hdr["yllcorner"] = hdr["yllcenter"] - hdr["cellsize"] / 2
    nd = hdr.get("nodata_value", NODATA)
    hdr.setdefault("nodata_value", NODATA)
    arr[arr == nd] = np.nan
    return arr, hdr


def write_grid(path: str | os.PathLike[str], arr: np.ndarray, hdr: dict[str, float]) -> None:
    """Write a grid as Circuitscape does (NODATA -9999).

    ``.asc`` gives an ESRI ASCII grid with Circuitscape's header layout, ``.asc.gz`` the
    same gzip-compressed (``compress_grids``), ``.tif`` a GeoTIFF (``write_as_tif``).
    """
    from ..io.atomic import atomic_path

    name = str(path).lower()
    if name.endswith(".tif"):
        from affine import Affine

        from ..io.raster import Raster

        cs = hdr["cellsize"]
        top = hdr["yllcorner"] + int(hdr["nrows"]) * cs
        Raster(np.where(np.isnan(arr), NODATA, arr).astype(np.float64),
               Affine(cs, 0.0, hdr["xllcorner"], 0.0, -cs, top), None,
               NODATA).to_file(path)
        return
    head = (f"ncols         {int(hdr['ncols'])}\n"
            f"nrows         {int(hdr['nrows'])}\n"
            f"xllcorner     {hdr['xllcorner']:.10g}\n"
            f"yllcorner     {hdr['yllcorner']:.10g}\n"
            f"cellsize      {hdr['cellsize']:.10g}\n"
            f"NODATA_value  {int(NODATA)}\n")
    with atomic_path(path) as tmp:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(tmp, "wt") as f:
            f.write(head)
            np.savetxt(f, np.where(np.isnan(arr), NODATA, arr), fmt="%.10g", delimiter=" ")


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def _write_table(path: Path, rows: list[list[float]]) -> None:
    from ..io.atomic import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            for r in rows:
                f.write(" ".join(_fmt(v) for v in r) + "\n")


# ----------------------------------------------------------------------------- inputs
def _read_numbers(p: Path) -> np.ndarray:
    rows = []
    with _open_text(p) as f:
        for ln, line in enumerate(f, start=1):
            parts = line.replace(",", " ").split()
            if not parts or parts[0].startswith("#"):
                continue
            try:
                rows.append([float(x) for x in parts])
            except ValueError:
                raise CamigeoError(f"{p}: line {ln}: {line.strip()[:60]!r} holds "
                                   f"something that is not a number; this file must hold "
                                   f"numbers only (e.g. 'id x y' or 'i j value').") from None
    if not rows:
        return np.zeros((0, 0))
    width = max(len(r) for r in rows)
    return np.array([r + [np.nan] * (width - len(r)) for r in rows])


def _xy_to_rowcol(x: np.ndarray, y: np.ndarray, hdr: dict[str, float]) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    cs = hdr["cellsize"]
    r = np.ceil(hdr["nrows"] - (y - hdr["yllcorner"]) / cs).astype(np.int64) - 1
    c = np.ceil((x - hdr["xllcorner"]) / cs).astype(np.int64) - 1
    return r, c


def _read_focal(p: Path, hdr: dict[str, float], shape: tuple[int, int]) -> Focal:
    cells: dict[int, tuple[list[int], list[int]]] = {}
    outside: list[int] = []
    if p.name.lower().endswith((".txt", ".txt.gz")):
        tab = _read_numbers(p)
        if tab.size and tab.shape[1] < 3:
            raise CamigeoError(f"{p}: focal-node list needs 'id x y' on every line.")
        ids: Any = tab[:, 0].astype(np.int64) if tab.size else np.zeros(0, np.int64)
        r, c = _xy_to_rowcol(tab[:, 1], tab[:, 2], hdr) if tab.size else (ids, ids)
        for fid, rr, cc in zip(ids.tolist(), r.tolist(), c.tolist(), strict=True):
            if fid < 0:
                continue
            ent = cells.setdefault(fid, ([], []))
            if 0 <= rr < shape[0] and 0 <= cc < shape[1]:
                ent[0].append(rr)
                ent[1].append(cc)
            else:
                outside.append(fid)
    else:
        arr, h2 = read_grid(p)
        if arr.shape != shape:
            raise CamigeoError(f"{p}: focal-node grid is {arr.shape}, habitat grid is "
                               f"{shape}; they must match cell for cell.")
        good = ~np.isnan(arr) & (arr > 0)
        rr, cc = np.nonzero(good)
        for fid, r0, c0 in zip(arr[good].astype(np.int64).tolist(), rr.tolist(), cc.tolist(),
                               strict=True):
            ent = cells.setdefault(fid, ([], []))
            ent[0].append(r0)
            ent[1].append(c0)
    if outside:
        msg = (f"{p}: focal node(s) {sorted(set(outside))} lie outside the grid; they are "
               f"reported as -1.")
        logger.debug(msg)
        warnings.warn(msg, CamigeoWarning, stacklevel=3)
    ids = sorted(cells)
    return Focal(ids, {k: (np.array(v[0], dtype=np.int64), np.array(v[1], dtype=np.int64))
                       for k, v in cells.items()})


def _read_pairs(p: Path) -> tuple[str, list[int] | None, dict[tuple[int, int], bool]]:
    """Return (mode, ids_of_matrix_or_None, {(a, b): listed})."""
    with _open_text(p) as f:
        lines = [ln.split() for ln in f if ln.strip()]
    if not lines:
        raise CamigeoError(f"{p}: included-pairs file is empty.")
    head = lines[0][0].lower()
    if head == "min":
        lo = float(lines[0][1])
        hi = float(lines[1][1])
        ids = [int(float(x)) for x in lines[2][1:]]
        pairs: dict[tuple[int, int], bool] = {}
        for row in lines[3:]:
            a = int(float(row[0]))
            for b, val in zip(ids, row[1:], strict=False):
                v = float(val)
                if lo <= v <= hi:
                    pairs[(a, b)] = True
        return "include", ids, pairs
    if head == "mode":
        mode = lines[0][1].lower()
        if mode not in ("include", "exclude"):
            raise CamigeoError(f"{p}: first line must be 'mode include' or 'mode exclude'.")
        pairs = {(int(float(r[0])), int(float(r[1]))): True for r in lines[1:] if len(r) >= 2}
        return mode, None, pairs
    raise CamigeoError(f"{p}: included-pairs file must start with 'min'/'max' lines (matrix "
                       f"form) or 'mode include|exclude' (list form).")


def _prune(focal: Focal, keep: set[int]) -> Focal:
    ids = [i for i in focal.ids if i in keep]
    return Focal(ids, {i: focal.cells[i] for i in ids})


def _include_matrix(ids: list[int], mode: str, pairs: dict[tuple[int, int], bool]) -> np.ndarray:
    k = len(ids)
    inc = np.full((k, k), mode == "exclude")
    pos = {v: i for i, v in enumerate(ids)}
    for (a, b) in pairs:
        if a in pos and b in pos:
            inc[pos[a], pos[b]] = inc[pos[b], pos[a]] = mode == "include"
    return inc


def _read_strengths(p: Path) -> dict[int, float]:
    tab = _read_numbers(p)
    return {int(r[0]): float(r[1]) for r in tab}


# ----------------------------------------------------------------------------- runner
class _Ctx:
    def __init__(self, ini: Path, cfg: dict[str, str], output_dir: Path | None) -> None:
        self.ini = ini
        self.cfg = cfg
        key = "habitat_file"
        target = cfg.get(key, "")
        cands = [Path.cwd(), ini.parent, *ini.parent.parents]
        self.base = next((c for c in cands if (c / target).exists()), Path.cwd()) \
            if target and not Path(target).is_absolute() else Path.cwd()
        out = cfg.get("output_file", "")
        if not out or out.lower() in ("none", "not entered") or out.startswith("("):
            raise CamigeoError(f"{ini}: output_file is missing; add 'output_file = "
                               f"<folder>/<name>.out' (outputs are named after it).")
        outp = Path(out)
        if output_dir is not None:
            outp = Path(output_dir) / outp.name
        elif not outp.is_absolute():
            outp = self.base / outp
        outp.parent.mkdir(parents=True, exist_ok=True)
        name = outp.name[:-4] if outp.name.endswith(".out") else outp.name
        self.prefix = outp.parent / name
        self.written: list[Path] = []

    def path(self, key: str) -> Path:
        v = self.cfg.get(key, "").strip()
        if not v or v.lower() in ("none", "not entered") or v.startswith("("):
            raise CamigeoError(f"{self.ini}: option {key} must name a file for this scenario; "
                               f"got {v!r}. Set {key} = <path> in the INI.")
        p = Path(v)
        p = p if p.is_absolute() else self.base / p
        if not p.exists():
            raise DataNotFoundError(f"{self.ini}: {key} = {v} does not exist ({p}).")
        return p

    def grid(self, stem: str) -> Path:
        """Output path of a grid: ``.tif`` (write_as_tif), ``.asc.gz`` or ``.asc``."""
        if _bool(self.cfg, "write_as_tif"):
            return self.out(f"{stem}.tif")
        return self.out(f"{stem}.asc.gz" if _bool(self.cfg, "compress_grids")
                        else f"{stem}.asc")

    def out(self, suffix: str) -> Path:
        p = Path(f"{self.prefix}{suffix}")
        self.written.append(p)
        return p


def run_ini(path: str | os.PathLike[str], *, output_dir: str | os.PathLike[str] | None = None,
            solver: str | None = None) -> dict[str, Any]:
    """Run a Circuitscape ``.ini`` file and write Circuitscape's output files.

    Relative paths in the INI are resolved against the current directory first, then the
    INI's folder and its parents (the first one in which ``habitat_file`` exists).

    Parameters
    ----------
    path : str or path-like
        The ``.ini`` file.
    output_dir : path-like, optional
        Write outputs here (same file names) instead of where ``output_file`` points.
    solver : {"auto", "cholmod", "splu", "cg+amg"}, optional
        Override the INI's solver (INI ``cg+amg`` -> CG+AMG, ``cholmod`` and the other
        direct solvers -> ``"auto"``, i.e. CHOLMOD when installed, else SuperLU).

    Returns
    -------
    dict
        ``{"resistances": array or None, "files": [written paths], "scenario": str}``.

    Raises
    ------
    CamigeoError
        Unsupported options (all listed), missing files, bad values.
    """
    ini = Path(path)
    cfg = read_ini(ini)
    _check_options(cfg, ini)
    if solver is not None:
        cfg["_solver_override"] = solver
    try:
        ctx = _Ctx(ini, cfg, Path(output_dir) if output_dir is not None else None)
        if cfg.get("data_type", "raster").strip().lower() == "network":
            res = _run_network(ctx)
        else:
            res = _run_raster(ctx)
    except CamigeoError:
        raise
    except (ValueError, IndexError, KeyError, EOFError, OSError, UnicodeError) as exc:
        # input files that parse but hold impossible content (ragged tables, bad gzip ...)
        raise CamigeoError(f"{ini}: an input file named in this INI could not be used: "
                           f"{type(exc).__name__}: {exc}. Check the files the INI names "
                           f"(habitat_file, point_file, ...) against the Circuitscape "
                           f"formats.") from exc
    res["files"] = ctx.written
    return res


def _solver(cfg: dict[str, str]) -> str:
    if "_solver_override" in cfg:
        return cfg["_solver_override"]
    s = cfg.get("solver", "cg+amg").strip().lower()
    return "cg+amg" if s in ("cg+amg", "amg") else "auto"


def _run_raster(ctx: _Ctx) -> dict[str, Any]:
    cfg = ctx.cfg
    scen = cfg.get("scenario", "pairwise").strip().lower()
    hab, hdr = read_grid(ctx.path("habitat_file"))
    if _bool(cfg, "use_reclass_table"):
        # reclass_file: "old new" lines, applied to the habitat values before anything else
        table = _read_numbers(ctx.path("reclass_file"))
        src = hab.copy()
        for old, new in table[:, :2]:
            hab[src == old] = np.nan if new == NODATA else new
    valid = ~np.isnan(hab)
    if _bool(cfg, "use_mask"):
        m, _ = read_grid(ctx.path("mask_file"))
        if m.shape != hab.shape:
            raise CamigeoError(f"mask_file is {m.shape}, habitat is {hab.shape}.")
        valid &= ~np.isnan(m) & (np.nan_to_num(m, nan=0.0) > 0)
    g = conductance_grid(np.nan_to_num(hab, nan=0.0), valid,
                         is_resistance=_bool(cfg, "habitat_map_is_resistances"),
                         name=str(ctx.path("habitat_file")))
    polymap = None
    if _bool(cfg, "use_polygons"):
        pm, _ = read_grid(ctx.path("polygon_file"))
        if pm.shape != hab.shape:
            raise CamigeoError(f"polygon_file is {pm.shape}, habitat is {hab.shape}.")
        polymap = np.where(np.isnan(pm), 0, pm).astype(np.int64)
    opts = GridOptions(
        four_neighbors=_bool(cfg, "connect_four_neighbors_only"),
        avg_resistances=_bool(cfg, "connect_using_avg_resistances"),
        solver=_solver(cfg),
        write_cur_maps=_bool(cfg, "write_cur_maps"),
        write_volt_maps=_bool(cfg, "write_volt_maps"),
        write_max=_bool(cfg, "write_max_cur_maps"),
        cum_only=_bool(cfg, "write_cum_cur_map_only"),
        zero_focal_currents=_bool(cfg, "set_focal_node_currents_to_zero"),
    )
    null_cur = _bool(cfg, "set_null_currents_to_nodata")
    null_volt = _bool(cfg, "set_null_voltages_to_nodata")
    logt = _bool(cfg, "log_transform_maps")

    def post(arr: np.ndarray, kind: str) -> np.ndarray:
        out = arr.astype(np.float64).copy()
        if logt:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(out > 0, np.log10(np.where(out > 0, out, 1.0)), np.nan)
        if (kind == "cur" and null_cur) or (kind == "volt" and null_volt):
            out[g == 0] = np.nan
        return out

    def sink(kind: str, label: str, grid: np.ndarray) -> None:
        mid = "_curmap" if kind == "cur" else "_voltmap"
        stem = f"{mid}_{label}" if label else mid
        write_grid(ctx.grid(stem), post(grid, kind), hdr)

    if scen == "advanced":
        return _run_raster_advanced(ctx, g, hab, hdr, polymap, opts, sink)
    focal = _read_focal(ctx.path("point_file"), hdr, hab.shape)
    include = None
    if _bool(cfg, "use_included_pairs"):
        mode, mids, pairs = _read_pairs(ctx.path("included_pairs_file"))
        if mids is not None:
            focal = _prune(focal, set(mids))
        elif mode == "include":
            focal = _prune(focal, {a for p in pairs for a in p})
        include = _include_matrix(focal.ids, mode, pairs)
    if scen == "pairwise":
        R, cum, mx = pairwise_grid(g, polymap, focal, include=include, opts=opts, sink=sink)
        ids = focal.ids
        rows = [[0, *ids]] + [[ids[a], *R[a]] for a in range(len(ids))]
        _write_table(ctx.out("_resistances.out"), rows)
        three = [[ids[a], ids[b], R[a, b]] for a in range(len(ids))
                 for b in range(a + 1, len(ids))]
        _write_table(ctx.out("_resistances_3columns.out"), three)
        result = R
    else:
        strengths = None
        if _bool(cfg, "use_variable_source_strengths"):
            strengths = _read_strengths(ctx.path("variable_source_file"))
        vals, cum, mx = one_to_all_grid(g, polymap, focal, strengths=strengths,
                                        include=include,
                                        all_to_one=scen == "all-to-one", opts=opts,
                                        sink=sink)
        _write_table(ctx.out("_resistances.out"),
                     [[fid, vals[a]] for a, fid in enumerate(focal.ids)])
        result = vals
    if cum is not None:
        write_grid(ctx.grid("_cum_curmap"), post(np.maximum(cum, NODATA), "cur"), hdr)
    if mx is not None:
        write_grid(ctx.grid("_max_curmap"), post(mx, "cur"), hdr)
    return {"resistances": result, "ids": focal.ids, "scenario": scen}


def _source_ground_grid(ctx: _Ctx, key: str, hdr: dict[str, float],
                        shape: tuple[int, int]) -> np.ndarray:
    p = ctx.path(key)
    if p.name.lower().endswith((".txt", ".txt.gz")):
        tab = _read_numbers(p)
        out = np.full(shape, np.nan)
        if tab.size:
            r, c = _xy_to_rowcol(tab[:, 1], tab[:, 2], hdr)
            ok = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
            out[r[ok], c[ok]] = tab[ok, 0]
        return out
    arr, _ = read_grid(p)
    if arr.shape != shape:
        raise CamigeoError(f"{key} is {arr.shape}, habitat is {shape}.")
    return arr


def ground_to_conductance(vals: np.ndarray, is_res: bool, direct: bool) -> np.ndarray:
    vals = np.asarray(vals, dtype=np.float64)
    present = ~np.isnan(vals)
    gg = np.zeros(vals.shape)
    if is_res:
        present &= vals >= 0
        with np.errstate(divide="ignore"):
            gg[present] = 1.0 / vals[present]
    else:
        present &= vals > 0
        gg[present] = vals[present]
    if direct:
        gg[present & (gg > 0)] = np.inf
    return gg


def _run_raster_advanced(ctx, g, hab, hdr, polymap, opts, sink) -> dict[str, Any]:
    cfg = ctx.cfg
    src = np.nan_to_num(_source_ground_grid(ctx, "source_file", hdr, hab.shape), nan=0.0)
    if _bool(cfg, "use_unit_currents"):
        src = np.where(src != 0, 1.0, 0.0)
    gnd = _source_ground_grid(ctx, "ground_file", hdr, hab.shape)
    gg = ground_to_conductance(gnd, _bool(cfg, "ground_file_is_resistances"),
                             _bool(cfg, "use_direct_grounds"))
    vgrid, cgrid, ok = advanced_grid(g, polymap, src, gg,
                                     policy=cfg.get("remove_src_or_gnd", "keepall").lower(),
                                     opts=opts)
    if not ok:
        msg = f"{ctx.ini}: no component has both a source and a ground; nothing was solved."
        logger.debug(msg)
        warnings.warn(msg, CamigeoWarning, stacklevel=3)
    if opts.write_cur_maps:
        sink("cur", "", cgrid)
    if opts.write_volt_maps:
        sink("volt", "", vgrid)
    return {"resistances": None, "scenario": "advanced", "voltage": vgrid, "current": cgrid}


def _network_ids(x: np.ndarray) -> np.ndarray:
    if np.any(np.abs(x - np.round(x)) > 0):
        raise CamigeoError("network node ids must be integers.")
    return np.round(x).astype(np.int64)


def _run_network(ctx: _Ctx) -> dict[str, Any]:
    cfg = ctx.cfg
    scen = cfg.get("scenario", "pairwise").strip().lower()
    tab = _read_numbers(ctx.path("habitat_file"))
    if tab.size == 0 or tab.shape[1] < 3:
        raise CamigeoError(f"{ctx.path('habitat_file')}: graph file needs 'i j value' lines.")
    graph = graph_from_edges(_network_ids(tab[:, 0]), _network_ids(tab[:, 1]), tab[:, 2],
                             is_resistance=_bool(cfg, "habitat_map_is_resistances"))
    ids = graph.node_ids
    assert ids is not None  # graph_from_edges always sets node_ids
    pos = {int(v): k for k, v in enumerate(ids)}
    solver = _solver(cfg)
    write_cur = _bool(cfg, "write_cur_maps")
    write_volt = _bool(cfg, "write_volt_maps")
    i, j, _ = graph.edges()

    def branch_rows(bc: np.ndarray, nodes: np.ndarray | None = None) -> list[list[float]]:
        nz = bc != 0
        if nodes is not None:  # only the branches of the solved component
            inside = np.zeros(graph.n_nodes, dtype=bool)
            inside[nodes] = True
            nz &= inside[i] & inside[j]
        return [[ids[a], ids[b], abs(c)] for a, b, c in zip(i[nz], j[nz], bc[nz],
                                                            strict=True)]

    if scen == "advanced":
        def node_vals(key: str) -> np.ndarray:
            t = _read_numbers(ctx.path(key))
            out = np.zeros(graph.n_nodes)
            for r in t:
                k = pos.get(int(r[0]))
                if k is None:
                    logger.warning("%s: node %s is not in the graph; ignored", key, r[0])
                    continue
                out[k] = r[1]
            return out

        s = node_vals("source_file")
        if _bool(cfg, "use_unit_currents"):
            s = np.where(s != 0, 1.0, 0.0)
        graw = np.full(graph.n_nodes, np.nan)
        t = _read_numbers(ctx.path("ground_file"))
        for r in t:
            if int(r[0]) in pos:
                graw[pos[int(r[0])]] = r[1]
        gg = ground_to_conductance(graw, _bool(cfg, "ground_file_is_resistances"),
                                 _bool(cfg, "use_direct_grounds"))
        v, nc, bc = advanced_network(graph, s, gg,
                                     policy=cfg.get("remove_src_or_gnd", "keepall").lower(),
                                     solver=solver)
        if write_volt:
            _write_table(ctx.out("_voltages.txt"), [[ids[k], v[k]] for k in range(ids.size)])
        if write_cur:
            _write_table(ctx.out("_node_currents.txt"),
                         [[ids[k], nc[k]] for k in range(ids.size)])
            _write_table(ctx.out("_branch_currents.txt"), branch_rows(bc))
        return {"resistances": None, "scenario": "advanced", "voltages": v}
    if scen != "pairwise":
        raise CamigeoError(f"{ctx.ini}: network mode supports scenario pairwise or advanced, "
                           f"not {scen}.")
    ftab = _read_numbers(ctx.path("point_file"))
    fids = sorted({int(x) for x in ftab[:, 0]}) if ftab.size else []
    include = None
    if _bool(cfg, "use_included_pairs"):
        mode, mids, pairs = _read_pairs(ctx.path("included_pairs_file"))
        keep = set(mids) if mids is not None else (
            {a for p in pairs for a in p} if mode == "include" else set(fids))
        fids = [f for f in fids if f in keep]
        include = _include_matrix(fids, "include" if mids is not None else mode, pairs)
    missing = [f for f in fids if f not in pos]
    if missing:
        msg = f"focal node(s) {missing} are not in the graph; reported as -1."
        logger.debug(msg)
        warnings.warn(msg, CamigeoWarning, stacklevel=2)
    nodes = [pos.get(f, -1) for f in fids]
    R, per = pairwise_network(graph, nodes, solver=solver, want_maps=write_cur or write_volt,
                              include=include)
    rows = [[0, *fids]] + [[fids[a], *R[a]] for a in range(len(fids))]
    _write_table(ctx.out("_resistances.out"), rows)
    _write_table(ctx.out("_resistances_3columns.out"),
                 [[fids[a], fids[b], R[a, b]] for a in range(len(fids))
                  for b in range(a + 1, len(fids))])
    cum_n = np.zeros(graph.n_nodes)
    cum_b = np.zeros(i.size)
    for pr in per:
        lab = f"_{fids[pr.a]}_{fids[pr.b]}"
        # Circuitscape solves each pair on its component and writes that component only
        comp = np.arange(ids.size) if pr.comp_nodes is None else np.sort(pr.comp_nodes)
        if write_volt:
            _write_table(ctx.out(f"_voltages{lab}.txt"),
                         [[ids[k], pr.voltages[k]] for k in comp])
        if write_cur:
            _write_table(ctx.out(f"_node_currents{lab}.txt"),
                         [[ids[k], pr.node_currents[k]] for k in comp])
            _write_table(ctx.out(f"_branch_currents{lab}.txt"),
                         branch_rows(pr.branch_currents, comp))
        cum_n += pr.node_currents
        cum_b += np.abs(pr.branch_currents)
    if write_cur:
        _write_table(ctx.out("_node_currents_cum.txt"),
                     [[ids[k], cum_n[k]] for k in range(ids.size)])
        _write_table(ctx.out("_branch_currents_cum.txt"), branch_rows(cum_b))
    return {"resistances": R, "ids": fids, "scenario": "pairwise"}

