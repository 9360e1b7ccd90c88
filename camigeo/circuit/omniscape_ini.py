"""Run Omniscape.jl ``.ini`` files with :func:`camigeo.circuit.omniscape`.

Every option of Omniscape.jl is read (section headers are ignored, as in Omniscape). Relative
paths are resolved against the current directory first, then the INI's folder and its
parents (the first in which ``resistance_file`` exists). Outputs go to the folder
``project_name`` (next to the inputs' base folder, or inside ``output_dir=``); an existing
folder gets a numeric suffix ``_1``, ``_2``, ... as in Omniscape. Files: ``cum_currmap``,
``flow_potential``, ``normalized_cum_currmap``, ``classified_resistance`` (``.tif`` or
``.asc`` by ``write_as_tif``) and a copy of the INI as ``config.ini``.

camigeo extensions (not in Omniscape.jl): ``target_file`` (separate targets),
``decay_m`` (distance decay of the sources, metres), ``fallback_solver``.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CamigeoError, CamigeoWarning, DataNotFoundError
from ..io.raster import Raster
from .omniscape import NODATA, Condition, OmniscapeResult, omniscape

__all__ = ["OMNISCAPE_DEFAULTS", "read_omniscape_ini", "run_omniscape", "read_reclass_table"]

logger = logging.getLogger(__name__)

#: Omniscape.jl defaults (strings, as in the INI).
OMNISCAPE_DEFAULTS: dict[str, str] = {
    "block_size": "1", "source_from_resistance": "false", "r_cutoff": "Inf",
    "resistance_is_conductance": "false", "buffer": "0", "source_threshold": "0",
    "calc_flow_potential": "false", "calc_normalized_current": "false",
    "allow_different_projections": "false", "connect_four_neighbors_only": "false",
    "solver": "cg+amg", "reclassify_resistance": "false",
    "write_reclassified_resistance": "false", "parallelize": "false",
    "parallel_batch_size": "10", "precision": "double", "write_raw_currmap": "true",
    "mask_nodata": "true", "write_as_tif": "true", "conditional": "false",
    "n_conditions": "1", "comparison1": "within", "comparison2": "within",
    "compare_to_future": "none",
}
_FILES = {"resistance_file", "source_file", "reclass_table", "condition1_file",
          "condition2_file", "condition1_future_file", "condition2_future_file",
          "target_file"}
_OTHER = {"radius", "project_name", "condition1_lower", "condition1_upper",
          "condition2_lower", "condition2_upper", "decay_m", "fallback_solver"}
KNOWN = set(OMNISCAPE_DEFAULTS) | _FILES | _OTHER
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def read_omniscape_ini(path: str | os.PathLike[str]) -> dict[str, str]:
    """Flat ``{key: value}`` of an Omniscape INI (lower-case keys; sections ignored)."""
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"Omniscape INI file {p} does not exist.")
    cfg: dict[str, str] = {}
    for raw in p.read_text(errors="replace").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;[" or "=" not in line:
            continue
        k, v = line.split("=", 1)
        cfg[k.strip().lower()] = v.strip()
    return cfg


class _Cfg:
    def __init__(self, ini: Path, cfg: dict[str, str]) -> None:
        self.ini = ini
        self.raw = cfg
        self.cfg = {**OMNISCAPE_DEFAULTS, **cfg}

    def err(self, key: str, msg: str) -> CamigeoError:
        return CamigeoError(f"{self.ini}: option {key} {msg}")

    def flag(self, key: str) -> bool:
        v = self.cfg.get(key, "false").strip().lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
        raise self.err(key, f"= {v!r}: expected true or false.")

    def num(self, key: str, *, integer: bool = False) -> float:
        v = self.cfg.get(key, "").strip()
        if v == "":
            raise self.err(key, "is missing; add e.g. `" + key + " = 1` to the INI.")
        try:
            x = float(v)
        except ValueError:
            raise self.err(key, f"= {v!r}: expected a number.") from None
        if integer and (not np.isfinite(x) or x != int(x)):
            raise self.err(key, f"= {v!r}: expected a whole number of pixels.")
        return x

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        v = self.cfg.get(key, "").strip().lower()
        if v not in allowed:
            raise self.err(key, f"= {v!r}: expected one of {', '.join(allowed)}.")
        return v

    def has(self, key: str) -> bool:
        v = self.raw.get(key, "").strip()
        return bool(v) and v.lower() not in ("none", "nothing")


def _resolve(c: _Cfg) -> Path:
    target = c.raw.get("resistance_file", "").strip()
    if not target:
        raise c.err("resistance_file", "is missing; add `resistance_file = path/to/"
                    "resistance.tif` to the INI.")
    if Path(target).is_absolute():
        return Path.cwd()
    for cand in [Path.cwd(), c.ini.parent, *c.ini.parent.parents]:
        if (cand / target).exists():
            return cand
    raise DataNotFoundError(f"{c.ini}: resistance_file = {target} was not found relative "
                            f"to the current directory or the INI's folder and its parents.")


def _file(c: _Cfg, base: Path, key: str) -> Path:
    v = c.raw.get(key, "").strip()
    p = Path(v)
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise DataNotFoundError(f"{c.ini}: {key} = {v} does not exist ({p}); fix the path.")
    return p


def read_reclass_table(path: str | os.PathLike[str]) -> list[tuple[float, float]]:
    """Two columns ``old new`` (tab/space separated); ``missing`` as new value = NODATA."""
    rows = []
    p = Path(path)
    for k, raw in enumerate(p.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            raise CamigeoError(f"{p} line {k}: expected two columns (old value, new value); "
                               f"got {raw!r}.")
        old, new = (x.strip().strip('"').strip("'") for x in parts)
        try:
            o = float(old)
            n = np.nan if new.lower() == "missing" else float(new)
        except ValueError:
            raise CamigeoError(f"{p} line {k}: values must be numbers (or \"missing\" in the "
                               f"second column); got {raw!r}.") from None
        rows.append((o, n))
    return rows


def _reclassify(arr: np.ndarray, table: list[tuple[float, float]]) -> np.ndarray:
    out = arr.copy()
    for old, new in table:
        out[arr == old] = new
    return out


def _read(path: Path, name: str) -> Raster:
    return Raster.from_file(path)


def _project_dir(base: Path, name: str) -> Path:
    p = base / name
    if not p.exists():
        return p
    k = 1
    while (base / f"{name}_{k}").exists():
        k += 1
    return base / f"{name}_{k}"


def _write(arr: np.ndarray, ref: Raster, path: Path, dtype: Any) -> Path:
    out = np.where(np.isnan(arr), NODATA, arr).astype(dtype)
    if path.suffix == ".asc":
        from .ini import write_grid

        t = ref.transform
        hdr = {"ncols": ref.width, "nrows": ref.height, "xllcorner": t.c,
               "yllcorner": t.f + t.e * ref.height, "cellsize": abs(t.a)}
        write_grid(path, out.astype(np.float64), hdr)
        return path
    return ref.with_array(out, nodata=NODATA).to_file(path)


def run_omniscape(ini_path: str | os.PathLike[str], *,
                  output_dir: str | os.PathLike[str] | None = None,
                  solver: str | None = None, progress: bool = False,
                  scheduler: Any = None, threads: int | None = None) -> dict[str, Any]:
    """Run an Omniscape.jl INI file and write Omniscape's output files.

    Parameters
    ----------
    ini_path : path
    output_dir : path, optional
        Folder in which the ``project_name`` folder is created (default: the inputs' base
        folder, as Omniscape uses the working directory).
    solver : str, optional
        Override the INI's solver (``cholmod`` and ``cg+amg`` in the INI map to camigeo's
        ``"auto"`` and ``"cg+amg"``).
    progress : bool, default False
        Progress bar (windows done / total, ETA).
    scheduler : optional
        Dask scheduler (see :func:`camigeo.circuit.omniscape`).
    threads : int, optional
        Threads solving windows. Default: the INI's ``parallelize`` (Omniscape.jl's
        option) -- every CPU of this process when true, 1 when false (Omniscape.jl's
        default).

    Returns
    -------
    dict
        ``{"project_dir": Path, "files": [Path, ...], "result": OmniscapeResult}``.

    Raises
    ------
    CamigeoError
        Missing or inconsistent options (named, with the fix), missing files.
    """
    if not isinstance(ini_path, str | os.PathLike):
        raise CamigeoError(f"ini_path = {ini_path!r}: expected the path of an Omniscape INI "
                           f"file (str or pathlib.Path), got {type(ini_path).__name__}. Pass "
                           f"run_omniscape('my_run.ini').")
    ini = Path(ini_path)
    c = _Cfg(ini, read_omniscape_ini(ini))
    unknown = sorted(k for k in c.raw if k not in KNOWN)
    if unknown:
        warnings.warn(f"{ini}: ignoring unsupported Omniscape option(s) {', '.join(unknown)}",
                      CamigeoWarning, stacklevel=2)
    base = _resolve(c)
    if not c.has("project_name"):
        raise c.err("project_name", "is missing; add `project_name = my_run` (the output "
                    "folder).")
    radius = int(c.num("radius", integer=True))
    if radius < 1:
        raise c.err("radius", f"= {radius}: must be a positive number of pixels.")
    block = int(c.num("block_size", integer=True))
    if block < 1 or block % 2 == 0:
        raise c.err("block_size", f"= {block}: must be an odd whole number >= 1 (1, 3, 5...).")
    buffer = int(c.num("buffer", integer=True))
    if buffer < 0:
        raise c.err("buffer", f"= {buffer}: must be >= 0.")
    sfr = c.flag("source_from_resistance")
    if not sfr and not c.has("source_file"):
        raise c.err("source_file", "is missing: give `source_file = ...` or set "
                    "`source_from_resistance = true`.")
    ini_solver = c.choice("solver", ("cg+amg", "cholmod"))
    precision = c.choice("precision", ("double", "single"))
    for k in ("parallelize", "allow_different_projections", "write_raw_currmap",
              "mask_nodata", "write_as_tif", "calc_flow_potential",
              "calc_normalized_current", "connect_four_neighbors_only",
              "resistance_is_conductance", "reclassify_resistance",
              "write_reclassified_resistance", "conditional"):
        c.flag(k)
    c.num("parallel_batch_size", integer=True)
    res_r = _read(_file(c, base, "resistance_file"), "resistance_file")
    res = res_r.masked_float()
    table = None
    if c.flag("reclassify_resistance"):
        if not c.has("reclass_table"):
            raise c.err("reclass_table", "is missing although reclassify_resistance = true;"
                        " give the two-column table file.")
        table = read_reclass_table(_file(c, base, "reclass_table"))
        res = _reclassify(res, table)

    def layer(key: str) -> np.ndarray:
        r = _read(_file(c, base, key), key)
        if r.shape != res_r.shape:
            raise c.err(key, f"has shape {r.shape} but resistance_file has {res_r.shape}; "
                        f"give the layers on the same grid.")
        if (not c.flag("allow_different_projections") and r.crs is not None
                and res_r.crs is not None and r.crs != res_r.crs):
            raise c.err(key, "has a different projection from resistance_file; reproject it"
                        " or set allow_different_projections = true.")
        return r.masked_float()

    src = None if sfr else layer("source_file")
    conds = _conditions(c, layer) if c.flag("conditional") else None
    tgt = layer("target_file") if c.has("target_file") else None
    decay = c.num("decay_m") if c.has("decay_m") else None
    fallback = c.cfg.get("fallback_solver", "splu").strip().lower()
    if fallback in ("none", ""):
        fallback = None  # type: ignore[assignment]
    ref = res_r.with_array(np.where(np.isnan(res), NODATA, res), nodata=NODATA)
    use_solver = solver or ("cg+amg" if ini_solver == "cg+amg" else "auto")
    result: OmniscapeResult = omniscape(
        ref, radius=radius, block_size=block, source_strength=src,
        source_from_resistance=sfr, r_cutoff=c.num("r_cutoff"), buffer=buffer,
        source_threshold=c.num("source_threshold"),
        calc_flow_potential=c.flag("calc_flow_potential"),
        calc_normalized_current=c.flag("calc_normalized_current"),
        connect_four_neighbors_only=c.flag("connect_four_neighbors_only"),
        resistance_is_conductance=c.flag("resistance_is_conductance"), conditions=conds,
        targets=tgt, decay_m=decay, mask_nodata=c.flag("mask_nodata"), solver=use_solver,
        fallback_solver=fallback, progress=progress, scheduler=scheduler,
        threads=threads if threads is not None else (None if c.flag("parallelize") else 1))
    parent = Path(output_dir) if output_dir is not None else base
    pdir = _project_dir(parent, c.raw["project_name"].strip())
    pdir.mkdir(parents=True)
    ext = ".tif" if c.flag("write_as_tif") else ".asc"
    dtype = np.float32 if precision == "single" else np.float64
    files: list[Path] = []
    shutil.copyfile(ini, pdir / "config.ini")
    files.append(pdir / "config.ini")
    if table is not None and c.flag("write_reclassified_resistance"):
        files.append(_write(res, res_r, pdir / f"classified_resistance{ext}", dtype))
    outs = [("cum_currmap", result.cumulative, c.flag("write_raw_currmap")),
            ("flow_potential", result.flow_potential, c.flag("calc_flow_potential")),
            ("normalized_cum_currmap", result.normalized, c.flag("calc_normalized_current"))]
    for name, r, want in outs:
        if want and r is not None:
            files.append(_write(r.masked_float(), res_r, pdir / f"{name}{ext}", dtype))
    logger.info("omniscape: %d windows (%d carried current) in %.1f s -> %s",
                result.n_windows, result.n_solved, result.seconds, pdir)
    return {"project_dir": pdir, "files": files, "result": result}


def _conditions(c: _Cfg, layer) -> list[Condition]:
    n = int(c.num("n_conditions", integer=True))
    if n not in (1, 2):
        raise c.err("n_conditions", f"= {n}: Omniscape supports 1 or 2 conditions.")
    future = c.choice("compare_to_future", ("none", "1", "2", "both"))
    out = []
    for k in range(1, n + 1):
        key = f"condition{k}_file"
        if not c.has(key):
            raise c.err(key, f"is missing although conditional = true and n_conditions = {n}"
                        f"; give the condition layer.")
        comp = c.choice(f"comparison{k}", ("within", "equal"))
        lo = hi = 0.0
        if comp == "within":
            lo = c.num(f"condition{k}_lower")
            hi = c.num(f"condition{k}_upper")
            if lo > hi:
                raise c.err(f"condition{k}_lower", f"= {lo} is above condition{k}_upper = "
                            f"{hi}; swap them.")
        fut = None
        if future in (str(k), "both"):
            fk = f"condition{k}_future_file"
            if not c.has(fk):
                raise c.err(fk, f"is missing although compare_to_future = {future}; give the"
                            f" future condition layer or set compare_to_future = none.")
            fut = layer(fk)
        elif future == "2" and n == 1:
            raise c.err("compare_to_future", "= 2 but n_conditions = 1; use 1 or none.")
        out.append(Condition(present=layer(key), comparison=comp, lower=lo, upper=hi,
                             future=fut))
    return out
