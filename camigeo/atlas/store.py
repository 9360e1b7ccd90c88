"""The Atlas: one GeoPackage of analysis layers with provenance, versions, diff and history.

An Atlas is a single GeoPackage file holding

* the **current** version of every layer under its plain name (``conflict_summary``,
  ``corridor_links``, ...), so any GIS opens the latest results directly;
* every **previous** version of a layer as ``<name>__v<k>`` (k = 1, 2, ...), written when
  the layer is replaced, so nothing an earlier run produced is lost;
* ``camigeo_layer_versions`` (attribute table): one row per stored layer version
  (``layer``, ``version``, ``stored_as``, ``run_id``, ``time_utc``, ``rows``,
  ``content_sha256``, ``current``);
* ``camigeo_provenance`` (attribute table): one row per update run (``run_id``,
  ``time_utc``, ``camigeo_version``, ``command``, ``params_json``, ``inputs_json`` with the
  SHA-256 of every input file, ``layers_json`` with the row count of every layer written).

:func:`update` works on a copy of the Atlas next to it and moves the copy over the Atlas
with :func:`os.replace` only when everything was written and flushed
(:func:`camigeo._atomic.atomic_path` with ``copy_existing=True``): a crash or ``kill -9``
at any moment leaves the previous Atlas intact. A lock file ``<atlas>.lock`` (pid, host,
time) held with an operating-system lock keeps two writers apart; the kernel releases the
lock of a killed writer, so a stale lock never blocks and a live one is never broken.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import html
import json
import logging
import os
import re
import socket
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError, DataNotFoundError, SchemaError
from .._version import __version__
from ..io.atomic import atomic_path

__all__ = [
    "PROVENANCE_TABLE",
    "VERSIONS_TABLE",
    "AtlasDiff",
    "atlas_lock",
    "diff",
    "export_postgis",
    "file_sha256",
    "history",
    "layer_versions",
    "list_atlas_layers",
    "read_atlas_layer",
    "update",
]

log = logging.getLogger(__name__)

PROVENANCE_TABLE = "camigeo_provenance"
VERSIONS_TABLE = "camigeo_layer_versions"
_META = {PROVENANCE_TABLE, VERSIONS_TABLE}
_VERSION_RE = re.compile(r"^(?P<name>.+)__v(?P<v>\d+)$")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
#: Columns used to identify a feature across Atlas versions, in order of preference.
ID_COLUMNS = ("infra_id", "ptcr_id", "border_id", "link_id", "node_id", "cell_id", "event_id",
              "id")


# --------------------------------------------------------------------------------- helpers
def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextlib.contextmanager
def atlas_lock(atlas_path: str | os.PathLike[str], *, wait_s: float = 0.0) -> Iterator[Path]:
    """Hold the write lock of an Atlas for the duration of a ``with`` block.

    The lock is an operating-system lock (``fcntl.flock``) on the file ``<atlas>.lock``.
    The kernel grants it to one process at a time and releases it when that process ends,
    however it ends (``kill -9`` included), so a lock is never half-taken and a dead
    writer's lock is provably stale: the next writer simply gets it. The file holds
    ``pid``, host and UTC time of the holder for the messages only; a holder that finishes
    deletes it. A lock file found with content when the lock is taken was left by a killed
    writer: its temporary copies of the Atlas are removed. Where ``fcntl`` does not exist
    (Windows), an exclusively created lock file written under a temporary name and linked
    into place is used instead (see ``docs/reliability.md``).

    Parameters
    ----------
    atlas_path : path
        The Atlas GeoPackage.
    wait_s : float, default 0
        Seconds to wait for a live lock to be released before giving up.

    Raises
    ------
    AtlasLockedError
        When another live process holds the lock (after ``wait_s``).
    """
    from ..io.lock import hold_lock

    atlas = Path(atlas_path)
    lock = atlas.with_name(atlas.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with hold_lock(lock, what=f"Atlas {atlas}", wait_s=wait_s,
                   on_stale=lambda: _remove_stale_temp_files(atlas)):
        yield lock


def _remove_stale_temp_files(atlas: Path) -> None:
    """Delete the temporary copies a killed update left next to the Atlas."""
    for tmp in atlas.parent.glob(f".{atlas.name}.*.tmp*"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            log.info("removed temporary file %s left by an interrupted update", tmp)


def _check_atlas(path: str | os.PathLike[str], what: str = "atlas") -> Path:
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(
            f"{what}: no Atlas GeoPackage at {p}. Create one with camigeo.atlas.update() or "
            f"`camigeo run`.")
    _check_readable(p, what)
    return p


def _check_readable(p: Path, what: str = "atlas") -> None:
    """Open the GeoPackage once so a corrupt file is named by the user's path."""
    import pyogrio

    try:
        with warnings.catch_warnings():  # GDAL's notes on a damaged file precede the error
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.list_layers(p)
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise CamigeoError(
            f"{what}: {p} is not a readable GeoPackage ({exc}). It is damaged or not an "
            f"Atlas; restore it from a backup, or pass a new path to start a new Atlas (the "
            f"damaged file is left untouched).") from None


def list_atlas_layers(atlas_path: str | os.PathLike[str], *,
                      include_versions: bool = False) -> list[str]:
    """Names of the current layers of an Atlas (not the metadata tables).

    Parameters
    ----------
    atlas_path : path
        Atlas GeoPackage.
    include_versions : bool, default False
        Also list the stored previous versions (``<name>__v<k>``).
    """
    import pyogrio

    p = _check_atlas(atlas_path)
    names = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
    out = [n for n in names if n not in _META]
    if not include_versions:
        out = [n for n in out if not _VERSION_RE.match(n)]
    return out


def read_atlas_layer(atlas_path: str | os.PathLike[str], layer: str, *,
                     version: int | None = None) -> pd.DataFrame:
    """Read one layer (current, or a given stored version) of an Atlas.

    Parameters
    ----------
    atlas_path : path
        Atlas GeoPackage.
    layer : str
        Layer name.
    version : int, optional
        Version number as listed by :func:`layer_versions`; default the current one.

    Returns
    -------
    GeoDataFrame or DataFrame
        A DataFrame for attribute-only layers.
    """
    import pyogrio

    p = _check_atlas(atlas_path)
    name = layer
    if version is not None:
        versions = layer_versions(p)
        row = versions[(versions["layer"] == layer) & (versions["version"] == int(version))]
        if row.empty:
            have = sorted(versions.loc[versions["layer"] == layer, "version"].tolist())
            raise DataNotFoundError(
                f"layer {layer!r} has no version {version} in {p}; stored versions: {have}")
        name = str(row["stored_as"].iloc[0])
    available = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
    if name not in available:
        current = [n for n in available if n not in _META and not _VERSION_RE.match(n)]
        raise DataNotFoundError(f"layer {layer!r} not found in Atlas {p}; layers: {current}")
    return pyogrio.read_dataframe(p, layer=name)


# ----------------------------------------------------------------------------- hashing
def _content_hashes(df: pd.DataFrame) -> pd.Series:
    """One 64-bit hash per row over geometry (normalized WKB) and every attribute.

    Columns are taken in sorted order, so column order does not matter. Vectorised with
    ``pandas.util.hash_pandas_object`` (a per-row ``json.dumps`` + SHA-1 took 25 s for
    200,000 rows here; this takes well under 1 s). Collision probability for n rows is
    about n² / 2**65 (3e-9 for a million rows).
    """
    gname = _geom_name(df)
    cols = sorted(str(c) for c in df.columns if c != gname)
    h = np.zeros(len(df), dtype=np.uint64)
    if cols:
        attrs = pd.DataFrame({c: df[c] for c in cols})
        try:
            h = pd.util.hash_pandas_object(attrs, index=False).to_numpy()
        except TypeError:  # unhashable cells (lists, dicts): hash their repr
            h = pd.util.hash_pandas_object(attrs.astype(str), index=False).to_numpy()
    if gname is not None and len(df):
        import shapely

        wkb = shapely.to_wkb(shapely.normalize(df[gname].to_numpy()), hex=True)
        gh = pd.util.hash_array(np.asarray(wkb, dtype=object))
        h = h * np.uint64(1_000_003) ^ gh
    return pd.Series(h, index=df.index, dtype="uint64")


def _geom_name(df: pd.DataFrame) -> str | None:
    import geopandas as gpd

    if isinstance(df, gpd.GeoDataFrame) and df._geometry_column_name in df.columns:
        return df._geometry_column_name
    return None


def _table_sha256(df: pd.DataFrame) -> str:
    """SHA-256 over the sorted row hashes and the column names (row order independent)."""
    h = hashlib.sha256()
    h.update(np.sort(_content_hashes(df).to_numpy()).tobytes())
    h.update(",".join(sorted(map(str, df.columns))).encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------ update
def _prepare(name: str, obj: Any) -> pd.DataFrame:
    import geopandas as gpd

    if not isinstance(name, str) or not _NAME_RE.match(name) or "__v" in name:
        raise SchemaError(
            f"layers: invalid layer name {name!r}; use letters, digits and '_' (start with a "
            f"letter, at most 63 characters, no '__v' which marks stored versions).")
    if name in _META:
        raise SchemaError(f"layers: {name!r} is reserved for Atlas metadata; rename the layer.")
    if not isinstance(obj, pd.DataFrame):
        raise SchemaError(
            f"layers[{name!r}]: expected a GeoDataFrame or DataFrame, got "
            f"{type(obj).__name__}. Convert it first (e.g. pandas.DataFrame(...)).")
    from ..io.guards import check_no_nul

    cols = list(obj.columns)
    if any(not isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        dups = sorted({str(c) for c in cols if cols.count(c) > 1})
        raise SchemaError(
            f"layers[{name!r}]: column names must be unique text; got {cols[:10]!r}"
            + (f" (repeated: {dups})" if dups else "") + ". Rename them, e.g. "
            "df.columns = [str(c) for c in df.columns].")
    check_no_nul(obj, name=f"layers[{name!r}]")
    df = obj.copy()
    if isinstance(df, gpd.GeoDataFrame):
        if df.crs is None and len(df):
            raise SchemaError(
                f"layers[{name!r}]: the GeoDataFrame has no CRS; set one with .set_crs(...) "
                f"before writing it into the Atlas.")
    # GeoPackage has no list/dict/bool-object types: turn such cells into text.
    for col in df.columns:
        if col == _geom_name(df):
            continue
        s = df[col]
        if s.dtype == object:
            df[col] = s.map(lambda v: json.dumps(v, default=str)
                            if isinstance(v, list | tuple | dict | set) else v)
    return df


def update(
    atlas_path: str | os.PathLike[str],
    layers: Mapping[str, pd.DataFrame],
    *,
    command: str = "python",
    params: Mapping[str, Any] | None = None,
    inputs: Sequence[str | os.PathLike[str]] | Mapping[str, str | os.PathLike[str]] = (),
    keep_versions: bool = True,
    run_id: str | None = None,
    lock_wait_s: float = 0.0,
    _hook: Any = None,
) -> str:
    """Write new versions of layers into an Atlas atomically, with provenance.

    Parameters
    ----------
    atlas_path : path
        Atlas GeoPackage; created when missing.
    layers : mapping of str to GeoDataFrame or DataFrame
        Layer name -> data. Layers not named here are left as they are.
    command : str
        What produced the layers (e.g. ``"camigeo run"``), recorded in the provenance.
    params : mapping, optional
        Parameters of the run, recorded as JSON.
    inputs : sequence of paths, or mapping label -> path
        Input files; their SHA-256 is recorded.
    keep_versions : bool, default True
        Keep the replaced version of each layer as ``<name>__v<k>``.
    run_id : str, optional
        Identifier of the run; a random UUID4 by default.
    lock_wait_s : float, default 0
        Seconds to wait for another writer to finish before raising
        :class:`~camigeo.AtlasLockedError`.

    Returns
    -------
    str
        The run id.

    Raises
    ------
    AtlasLockedError
        Another process is updating the same Atlas.
    SchemaError
        A layer name or object is not acceptable.
    """
    import geopandas as gpd
    import pyogrio

    atlas = Path(atlas_path)
    if not layers:
        raise SchemaError("layers: nothing to write; pass a dict of layer name -> GeoDataFrame.")
    prepared = {name: _prepare(name, obj) for name, obj in layers.items()}
    items = inputs.items() if isinstance(inputs, Mapping) else ((str(p), p) for p in inputs)
    input_rows = []
    for label, p in items:
        pth = Path(p)
        if not pth.is_file():
            what = "is a folder, not a file" if pth.is_dir() else "does not exist"
            raise DataNotFoundError(f"inputs: input file {pth} ({label}) {what}; list the "
                                    f"input files the layers were made from.")
        input_rows.append({"label": str(label), "path": str(pth.resolve()),
                           "sha256": file_sha256(pth), "bytes": pth.stat().st_size})
    run_id = run_id or uuid.uuid4().hex
    now = _utc_now()

    if atlas.exists():
        _check_readable(atlas)
    with atlas_lock(atlas, wait_s=lock_wait_s), atomic_path(atlas, copy_existing=True) as tmp:
        if _hook is not None:  # test hook: lets a test kill the process mid-update
            _hook("copied", tmp)
        existing = ([str(n) for n in pyogrio.list_layers(tmp)[:, 0]]
                    if tmp.exists() else [])
        versions = (pyogrio.read_dataframe(tmp, layer=VERSIONS_TABLE)
                    if VERSIONS_TABLE in existing else _empty_versions())
        new_rows = []
        for name, df in prepared.items():
            prev = versions[(versions["layer"] == name)]
            last = int(prev["version"].max()) if len(prev) else 0
            if name in existing and last:
                if keep_versions:
                    old = pyogrio.read_dataframe(tmp, layer=name)
                    _write(old, tmp, f"{name}__v{last}")
                    versions.loc[(versions["layer"] == name) & (versions["version"] == last),
                                 "stored_as"] = f"{name}__v{last}"
                else:
                    versions = versions[~((versions["layer"] == name)
                                          & (versions["version"] == last))]
            elif name in existing:
                log.warning("layer %r in %s was not written by camigeo.atlas; it is replaced "
                            "without keeping a version", name, atlas)
            versions.loc[versions["layer"] == name, "current"] = 0
            _write(df, tmp, name)
            if _hook is not None:
                _hook(f"wrote {name}", tmp)
            new_rows.append({"layer": name, "version": last + 1, "stored_as": name,
                             "run_id": run_id, "time_utc": now, "rows": len(df),
                             "geometry_type": (str(df.geom_type.dropna().unique().tolist())
                                               if isinstance(df, gpd.GeoDataFrame) else ""),
                             "content_sha256": _table_sha256(df), "current": 1})
        versions = pd.concat([versions, pd.DataFrame(new_rows)], ignore_index=True)
        versions = versions.astype({"version": "int64", "rows": "int64", "current": "int64"})
        _write(versions, tmp, VERSIONS_TABLE)
        prov = pd.DataFrame([{
            "run_id": run_id, "time_utc": now, "camigeo_version": __version__,
            "command": command,
            "params_json": json.dumps(dict(params or {}), default=str, sort_keys=True),
            "inputs_json": json.dumps(input_rows),
            "layers_json": json.dumps({n: len(d) for n, d in prepared.items()}),
            "user": _user(), "host": socket.gethostname(),
        }])
        if PROVENANCE_TABLE in existing:
            prov = pd.concat([pyogrio.read_dataframe(tmp, layer=PROVENANCE_TABLE), prov],
                             ignore_index=True)
        _write(prov, tmp, PROVENANCE_TABLE)
    log.info("Atlas %s updated (run %s): %s", atlas, run_id,
             ", ".join(f"{n} ({len(d)} rows)" for n, d in prepared.items()))
    return run_id


def _user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return ""


def _empty_versions() -> pd.DataFrame:
    return pd.DataFrame({
        "layer": pd.Series([], dtype=object), "version": pd.Series([], dtype="int64"),
        "stored_as": pd.Series([], dtype=object), "run_id": pd.Series([], dtype=object),
        "time_utc": pd.Series([], dtype=object), "rows": pd.Series([], dtype="int64"),
        "geometry_type": pd.Series([], dtype=object),
        "content_sha256": pd.Series([], dtype=object), "current": pd.Series([], dtype="int64"),
    })


def _write(df: pd.DataFrame, path: Path, layer: str) -> None:
    import geopandas as gpd
    import pyogrio

    if isinstance(df, gpd.GeoDataFrame):
        if len(df) == 0:
            # an empty GeoDataFrame has no geometry type: the declared one
            # (camigeo.atlas.check sets attrs["geometry_type"]) or a generic one
            pyogrio.write_dataframe(df, path, layer=layer, driver="GPKG",
                                    geometry_type=df.attrs.get("geometry_type", "Unknown"))
        else:
            pyogrio.write_dataframe(df, path, layer=layer, driver="GPKG", promote_to_multi=False)
    else:
        pyogrio.write_dataframe(pd.DataFrame(df), path, layer=layer, driver="GPKG")


# ----------------------------------------------------------------------------- history
def history(atlas_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Provenance of every update of an Atlas, oldest first.

    Returns
    -------
    DataFrame
        ``run_id, time_utc, camigeo_version, command, params (dict), inputs (list of
        dicts with path and sha256), layers (dict name -> rows)``.
    """
    import pyogrio

    p = _check_atlas(atlas_path)
    names = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
    if PROVENANCE_TABLE not in names:
        raise SchemaError(
            f"{p} has no {PROVENANCE_TABLE} table: it was not written by camigeo.atlas.update "
            f"(or by `camigeo run`).")
    prov = pyogrio.read_dataframe(p, layer=PROVENANCE_TABLE)
    out = prov[["run_id", "time_utc", "camigeo_version", "command"]].copy()
    out["params"] = prov["params_json"].map(json.loads)
    out["inputs"] = prov["inputs_json"].map(json.loads)
    out["layers"] = prov["layers_json"].map(json.loads)
    return out.sort_values("time_utc", kind="stable").reset_index(drop=True)


def layer_versions(atlas_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the ``camigeo_layer_versions`` table: every stored version of every layer."""
    import pyogrio

    p = _check_atlas(atlas_path)
    names = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
    if VERSIONS_TABLE not in names:
        return _empty_versions()
    return pyogrio.read_dataframe(p, layer=VERSIONS_TABLE)


# -------------------------------------------------------------------------------- diff
@dataclass
class AtlasDiff:
    """What changed between two Atlas GeoPackages.

    Attributes
    ----------
    table : DataFrame
        One row per layer: ``layer, status`` (added/removed/changed/unchanged),
        ``rows_old, rows_new, features_added, features_removed, features_modified,
        id_column`` (the column used to match features; empty = matched by content hash,
        so a modification shows as one removal plus one addition).
    km_added : DataFrame
        Per PTCR, barrier type (fence, border_fence, railway) and ``status`` in the
        ``infrastructure`` layer: ``ptcr_id, infra_type, status, km_old, km_new, km_added``
        (geodesic km inside the PTCR polygon; rows that changed by more than 1 mm).
    score_changes : DataFrame
        From ``conflict_summary``: ``ptcr_id, conflict_score_old, conflict_score_new,
        delta, rank_old, rank_new``.
    """

    old: str
    new: str
    table: pd.DataFrame
    km_added: pd.DataFrame = field(default_factory=pd.DataFrame)
    score_changes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        return f"AtlasDiff({self.old!r} -> {self.new!r})\n{self.table.to_string(index=False)}"

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """Self-contained HTML report (all values escaped); written atomically if ``path``."""
        e = html.escape
        parts = [
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Atlas diff</title>",
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:3px 8px;text-align:right}"
            "th{background:#eee}td:first-child{text-align:left}</style></head><body>",
            f"<h1>Atlas changes</h1><p>old: <code>{e(self.old)}</code><br>"
            f"new: <code>{e(self.new)}</code></p>",
            "<h2>Layers</h2>", _html_table(self.table),
            "<h2>Barrier km added per PTCR</h2>",
            _html_table(self.km_added) if len(self.km_added) else "<p>no change</p>",
            "<h2>Conflict score changes</h2>",
            _html_table(self.score_changes) if len(self.score_changes) else "<p>no change</p>",
            f"<p><small>camigeo {e(__version__)}</small></p></body></html>",
        ]
        text = "\n".join(parts)
        if path is not None:
            with atomic_path(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
        return text


def _html_table(df: pd.DataFrame) -> str:
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float | np.floating):
                s = "" if np.isnan(v) else f"{v:,.3f}"
            else:
                s = "" if v is None or v is pd.NA else str(v)
            cells.append(f"<td>{e(s)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _id_column(old: pd.DataFrame, new: pd.DataFrame,
               id_columns: Mapping[str, str] | None, layer: str) -> str | None:
    if id_columns and layer in id_columns:
        col = id_columns[layer]
        for df, which in ((old, "old"), (new, "new")):
            if col not in df.columns:
                raise SchemaError(f"id_columns[{layer!r}]: column {col!r} not in the {which} "
                                  f"layer (columns: {list(df.columns)}).")
        return col
    for col in ID_COLUMNS:
        if (col in old.columns and col in new.columns and old[col].is_unique
                and new[col].is_unique and old[col].notna().all() and new[col].notna().all()):
            return col
    return None


def _diff_layer(old: pd.DataFrame, new: pd.DataFrame, idcol: str | None) -> dict[str, int]:
    if idcol is None:
        ho, hn = _content_hashes(old), _content_hashes(new)
        co, cn = ho.value_counts(), hn.value_counts()
        keys = set(co.index) | set(cn.index)
        added = sum(max(int(cn.get(k, 0)) - int(co.get(k, 0)), 0) for k in keys)
        removed = sum(max(int(co.get(k, 0)) - int(cn.get(k, 0)), 0) for k in keys)
        return {"features_added": added, "features_removed": removed, "features_modified": 0}
    ho = pd.Series(_content_hashes(old).to_numpy(), index=old[idcol].astype(str).to_numpy())
    hn = pd.Series(_content_hashes(new).to_numpy(), index=new[idcol].astype(str).to_numpy())
    added = hn.index.difference(ho.index)
    removed = ho.index.difference(hn.index)
    common = ho.index.intersection(hn.index)
    mod = int((ho.loc[common].to_numpy() != hn.loc[common].to_numpy()).sum())
    return {"features_added": len(added), "features_removed": len(removed),
            "features_modified": mod}


def diff(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    *,
    layers: Sequence[str] | None = None,
    id_columns: Mapping[str, str] | None = None,
    ptcrs: Any = None,
) -> AtlasDiff:
    """Compare two Atlas GeoPackages layer by layer.

    Parameters
    ----------
    old, new : path
        The two Atlas files (e.g. last month's copy and today's).
    layers : sequence of str, optional
        Layers to compare; default all current layers of either file.
    id_columns : mapping layer -> column, optional
        Feature id per layer. By default the first of ``infra_id, ptcr_id, border_id,
        link_id, node_id, cell_id, event_id, id`` that is unique in both versions; without
        one, features are matched by a hash of geometry and attributes.
    ptcrs : GeoDataFrame, optional
        Regions for ``km_added``; default the ``ptcr`` layer of the new Atlas, else the
        bundled PTCRs.

    Returns
    -------
    AtlasDiff
    """
    po, pn = _check_atlas(old, "old"), _check_atlas(new, "new")
    lo, ln = list_atlas_layers(po), list_atlas_layers(pn)
    names = list(layers) if layers is not None else sorted(set(lo) | set(ln))
    rows = []
    frames: dict[str, tuple[pd.DataFrame | None, pd.DataFrame | None]] = {}
    for name in names:
        if name not in lo and name not in ln:
            raise DataNotFoundError(f"layers: {name!r} is in neither Atlas ({po}, {pn}).")
        a = read_atlas_layer(po, name) if name in lo else None
        b = read_atlas_layer(pn, name) if name in ln else None
        frames[name] = (a, b)
        if a is None:
            assert b is not None  # the name is in one of the two atlases
            rows.append({"layer": name, "status": "added", "rows_old": 0, "rows_new": len(b),
                         "features_added": len(b), "features_removed": 0,
                         "features_modified": 0, "id_column": ""})
            continue
        if b is None:
            rows.append({"layer": name, "status": "removed", "rows_old": len(a), "rows_new": 0,
                         "features_added": 0, "features_removed": len(a),
                         "features_modified": 0, "id_column": ""})
            continue
        idcol = _id_column(a, b, id_columns, name)
        d = _diff_layer(a, b, idcol)
        changed = any(d.values())
        rows.append({"layer": name, "status": "changed" if changed else "unchanged",
                     "rows_old": len(a), "rows_new": len(b), **d, "id_column": idcol or ""})
    table = pd.DataFrame(rows, columns=["layer", "status", "rows_old", "rows_new",
                                        "features_added", "features_removed",
                                        "features_modified", "id_column"])
    km = _km_added(frames.get("infrastructure"), ptcrs, frames.get("ptcr"))
    scores = _score_changes(frames.get("conflict_summary"))
    return AtlasDiff(str(po), str(pn), table, km, scores)


_BARRIER_TYPES = ("fence", "border_fence", "railway")


def _km_added(pair: tuple[Any, Any] | None, ptcrs: Any,
              ptcr_pair: tuple[Any, Any] | None) -> pd.DataFrame:
    cols = ["ptcr_id", "infra_type", "status", "km_old", "km_new", "km_added"]
    if pair is None:
        return pd.DataFrame(columns=cols)
    if ptcrs is None and ptcr_pair is not None and ptcr_pair[1] is not None:
        ptcrs = ptcr_pair[1]
    if ptcrs is None:
        try:
            from .. import datasets

            ptcrs = datasets.load_ptcrs()
        except Exception as exc:  # noqa: BLE001 - bundled data may not be there yet
            log.warning("km added per PTCR skipped: no PTCR layer (%s)", exc)
            return pd.DataFrame(columns=cols)
    km_o = _km_in_ptcrs(pair[0], ptcrs)
    km_n = _km_in_ptcrs(pair[1], ptcrs)
    keys = ["ptcr_id", "infra_type", "status"]
    m = km_o.merge(km_n, on=keys, how="outer", suffixes=("_old", "_new"))
    m[["km_old", "km_new"]] = m[["km_old", "km_new"]].fillna(0.0)
    m["km_added"] = m["km_new"] - m["km_old"]
    m = m[~np.isclose(m["km_new"], m["km_old"], rtol=1e-9, atol=1e-6)]  # 1 mm
    return m[cols].sort_values(keys).reset_index(drop=True)


def _km_in_ptcrs(infra: Any, ptcrs: Any) -> pd.DataFrame:
    import geopandas as gpd

    from ..io.crs import WGS84, geodesic_length_km

    empty = pd.DataFrame({"ptcr_id": pd.Series([], dtype="int64"),
                          "infra_type": pd.Series([], dtype=object),
                          "status": pd.Series([], dtype=object),
                          "km": pd.Series([], dtype=float)})
    if infra is None or len(infra) == 0 or "infra_type" not in infra.columns:
        return empty
    lines = infra[infra["infra_type"].isin(_BARRIER_TYPES)].to_crs(WGS84)
    if lines.empty:
        return empty
    lines = lines.assign(status=lines["status"].fillna("unknown").astype(str)
                         if "status" in lines.columns else "existing")
    regions = ptcrs[["ptcr_id", ptcrs.geometry.name]].to_crs(WGS84)
    inter = gpd.overlay(lines[["infra_type", "status", lines.geometry.name]], regions,
                        how="intersection", keep_geom_type=True)
    if inter.empty:
        return empty
    inter["km"] = geodesic_length_km(inter.geometry)
    return inter.groupby(["ptcr_id", "infra_type", "status"], as_index=False)["km"].sum()


def _score_changes(pair: tuple[Any, Any] | None) -> pd.DataFrame:
    cols = ["ptcr_id", "conflict_score_old", "conflict_score_new", "delta", "rank_old",
            "rank_new"]
    if pair is None or pair[0] is None or pair[1] is None:
        return pd.DataFrame(columns=cols)
    a, b = pair
    need = {"ptcr_id", "conflict_score"}
    if not need <= set(a.columns) or not need <= set(b.columns):
        return pd.DataFrame(columns=cols)
    keep = [c for c in ("ptcr_id", "conflict_score", "rank") if c in a.columns and c in b.columns]
    m = pd.DataFrame(a[keep]).merge(pd.DataFrame(b[keep]), on="ptcr_id", how="outer",
                                    suffixes=("_old", "_new"))
    m["delta"] = m["conflict_score_new"] - m["conflict_score_old"]
    if "rank_old" not in m.columns:
        m["rank_old"] = np.nan
        m["rank_new"] = np.nan
    same = np.isclose(m["conflict_score_new"], m["conflict_score_old"], rtol=1e-9, atol=1e-12)
    m = m[~same | m["delta"].isna()]
    return m[cols].sort_values("ptcr_id").reset_index(drop=True)


# ---------------------------------------------------------------------------- PostGIS
def export_postgis(
    atlas_path: str | os.PathLike[str],
    url: str,
    *,
    schema: str = "public",
    layers: Sequence[str] | None = None,
    if_exists: str = "replace",
) -> list[str]:
    """Copy the current layers and the metadata tables of an Atlas into PostGIS.

    Parameters
    ----------
    atlas_path : path
        Atlas GeoPackage.
    url : str
        SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db`` (``postgresql://`` is
        accepted and uses psycopg 3 when installed).
    schema : str, default "public"
        Target schema (must exist).
    layers : sequence of str, optional
        Layers to export; default all current layers.
    if_exists : {"replace", "append", "fail"}
        Passed to ``GeoDataFrame.to_postgis``.

    Returns
    -------
    list of str
        Tables written.

    Notes
    -----
    Layers whose CRS has no EPSG code (the Central-Asia equal-area grids and corridor
    layers) are reprojected to EPSG:4326 for PostGIS, which stores an SRID per column;
    layers with an EPSG code keep their CRS.
    """
    import geopandas as gpd

    from .._compat import import_optional

    sqlalchemy = import_optional("sqlalchemy", extra="postgis", purpose="the PostGIS export")
    import_optional("geoalchemy2", extra="postgis", purpose="the PostGIS export")
    if not re.match(r"^postgres(ql)?(\+\w+)?://", url):
        raise CamigeoError(f"to: expected a postgresql:// URL, got {url!r}.")
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        try:
            import psycopg  # noqa: F401

            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        except ImportError:
            pass
    p = _check_atlas(atlas_path)
    names = list(layers) if layers is not None else list_atlas_layers(p)
    engine = sqlalchemy.create_engine(url)
    written = []
    try:
        for name in [*names, VERSIONS_TABLE, PROVENANCE_TABLE]:
            df = read_atlas_layer(p, name)
            if isinstance(df, gpd.GeoDataFrame):
                if df.crs is not None and df.crs.to_epsg() is None:
                    # PostGIS needs an SRID; a custom CRS (e.g. the Central-Asia Albers of
                    # the grids) has none, and geopandas would insert SRID 0 (no CRS)
                    log.info("%s: CRS without an EPSG code, exported as EPSG:4326", name)
                    df = df.to_crs(4326)
                df.to_postgis(name, engine, schema=schema, if_exists=if_exists, index=False)
            else:
                pd.DataFrame(df).to_sql(name, engine, schema=schema, if_exists=if_exists,
                                        index=False)
            written.append(name)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise CamigeoError(f"PostGIS export to {_redact(url)} failed: {exc.__class__.__name__}: "
                           f"{str(exc).splitlines()[0]}") from exc
    finally:
        engine.dispose()
    log.info("exported %d tables of %s to %s", len(written), p, _redact(url))
    return written


def _redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
