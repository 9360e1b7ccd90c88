"""Atlas GeoPackage: provenance, versions, atomic updates, lock, diff, history, PostGIS."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, box

from camigeo._errors import AtlasLockedError, DataNotFoundError, SchemaError
from camigeo.atlas import store as atlas
from camigeo.io.crs import GEOD


def _infra(extra_fence_km_lon: float = 0.0) -> gpd.GeoDataFrame:
    rows = [
        {"infra_id": "r1", "infra_type": "railway", "name": "Rail A", "status": "existing",
         "geometry": LineString([(60.0, 45.0), (61.0, 45.0)])},
        {"infra_id": "f1", "infra_type": "fence", "name": "Fence B", "status": "existing",
         "geometry": LineString([(60.2, 45.5), (60.4, 45.5)])},
    ]
    if extra_fence_km_lon:
        rows.append({"infra_id": "f2", "infra_type": "border_fence", "name": "New fence",
                     "status": "existing",
                     "geometry": LineString([(60.1, 45.2), (60.1 + extra_fence_km_lon, 45.2)])})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def _ptcr() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["West", "East"]},
                            geometry=[box(59.5, 44.0, 60.5, 46.0), box(60.5, 44.0, 61.5, 46.0)],
                            crs="EPSG:4326")


def _summary(scores: list[float]) -> pd.DataFrame:
    s = pd.Series(scores)
    return pd.DataFrame({"ptcr_id": [1, 2], "conflict_score": scores,
                         "rank": s.rank(ascending=False).astype(int).to_numpy()})


def test_update_creates_layers_metadata_and_provenance(tmp_path: Path) -> None:
    inp = tmp_path / "input.csv"
    inp.write_text("a,b\n1,2\n", encoding="utf-8")
    path = tmp_path / "atlas.gpkg"
    run = atlas.update(path, {"infrastructure": _infra(), "conflict_summary": _summary([1, 2])},
                       command="camigeo test", params={"cell_km": 5}, inputs=[inp])
    names = set(pyogrio.list_layers(path)[:, 0])
    assert {"infrastructure", "conflict_summary", atlas.PROVENANCE_TABLE,
            atlas.VERSIONS_TABLE} <= names
    hist = atlas.history(path)
    assert len(hist) == 1
    row = hist.iloc[0]
    assert row["run_id"] == run
    assert row["command"] == "camigeo test"
    assert row["params"] == {"cell_km": 5}
    # SHA-256 of "a,b\n1,2\n" computed independently with hashlib
    import hashlib

    assert row["inputs"][0]["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert row["layers"] == {"infrastructure": 2, "conflict_summary": 2}
    assert row["time_utc"].endswith("Z")
    back = atlas.read_atlas_layer(path, "infrastructure")
    assert isinstance(back, gpd.GeoDataFrame)
    assert sorted(back["infra_id"]) == ["f1", "r1"]
    assert isinstance(atlas.read_atlas_layer(path, "conflict_summary"), pd.DataFrame)


def test_update_keeps_previous_versions(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"infrastructure": _infra()}, command="v1")
    atlas.update(path, {"infrastructure": _infra(0.5)}, command="v2")
    atlas.update(path, {"conflict_summary": _summary([1, 2])}, command="v3")
    v = atlas.layer_versions(path)
    inf = v[v["layer"] == "infrastructure"].sort_values("version")
    assert inf["version"].tolist() == [1, 2]
    assert inf["stored_as"].tolist() == ["infrastructure__v1", "infrastructure"]
    assert inf["current"].tolist() == [0, 1]
    assert inf["rows"].tolist() == [2, 3]
    assert len(atlas.read_atlas_layer(path, "infrastructure", version=1)) == 2
    assert len(atlas.read_atlas_layer(path, "infrastructure")) == 3
    assert sorted(atlas.list_atlas_layers(path)) == ["conflict_summary", "infrastructure"]
    assert "infrastructure__v1" in atlas.list_atlas_layers(path, include_versions=True)
    assert atlas.history(path)["command"].tolist() == ["v1", "v2", "v3"]
    with pytest.raises(DataNotFoundError, match=r"no version 7.*stored versions: \[1, 2\]"):
        atlas.read_atlas_layer(path, "infrastructure", version=7)


def test_lock_refuses_a_second_writer(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"infrastructure": _infra()})
    with atlas.atlas_lock(path):
        with pytest.raises(AtlasLockedError, match=rf"being updated by another process \(pid "
                                                   rf"{os.getpid()}.*delete the lock file"):
            atlas.update(path, {"infrastructure": _infra(0.5)})
    assert len(atlas.read_atlas_layer(path, "infrastructure")) == 2
    assert not (tmp_path / "atlas.gpkg.lock").exists()


def test_stale_lock_of_a_dead_process_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(proc.stdout)
    import socket

    (tmp_path / "atlas.gpkg.lock").write_text(
        json.dumps({"pid": dead_pid, "host": socket.gethostname(), "time_utc": "x"}))
    atlas.update(path, {"infrastructure": _infra()})
    assert len(atlas.read_atlas_layer(path, "infrastructure")) == 2


_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import geopandas as gpd
    from shapely.geometry import LineString
    from camigeo.atlas import store as atlas
    path, marker, stop_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    big = gpd.GeoDataFrame({"infra_id": [f"n{i}" for i in range(500)],
                            "infra_type": ["fence"] * 500},
                           geometry=[LineString([(60 + i / 1000, 45), (60 + i / 1000, 46)])
                                     for i in range(500)], crs="EPSG:4326")
    def hook(stage, tmp):
        if stage == stop_at:   # the copy holds part of the new content, nothing committed
            part = marker.with_name(marker.name + ".part")  # appear complete or not at all
            part.write_text(str(tmp))
            part.replace(marker)
            time.sleep(60)
    atlas.update(path, {"infrastructure": big, "other": big}, command="child", _hook=hook)
""")


@pytest.mark.parametrize("stop_at", ["copied", "wrote infrastructure", "wrote other"])
def test_kill_9_mid_update_leaves_the_old_atlas_intact(tmp_path: Path, stop_at: str) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"infrastructure": _infra()}, command="original")
    before = path.read_bytes()
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(marker), stop_at])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "child ended before reaching the kill point"
            assert time.monotonic() < deadline, "child did not reach the kill point"
            time.sleep(0.05)
        tmp_copy = Path(marker.read_text())
        assert tmp_copy.exists()  # the half-done copy is on disk
        if stop_at != "copied":
            assert len(pyogrio.read_dataframe(tmp_copy, layer="infrastructure")) == 500
        # a concurrent writer is refused while the child holds the lock
        with pytest.raises(AtlasLockedError, match=rf"pid {child.pid} "):
            atlas.update(path, {"x": pd.DataFrame({"a": [1]})}, command="intruder")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    back = atlas.read_atlas_layer(path, "infrastructure")
    assert sorted(back["infra_id"]) == ["f1", "r1"]
    assert atlas.history(path)["command"].tolist() == ["original"]
    # the dead writer's lock is stale: the next update proceeds and cleans its temp copy
    assert (tmp_path / "atlas.gpkg.lock").exists()
    atlas.update(path, {"infrastructure": _infra(0.5)}, command="after crash")
    assert atlas.history(path)["command"].tolist() == ["original", "after crash"]
    assert not tmp_copy.exists()


def test_diff_features_km_and_scores(tmp_path: Path) -> None:
    old, new = tmp_path / "old.gpkg", tmp_path / "new.gpkg"
    atlas.update(old, {"ptcr": _ptcr(), "infrastructure": _infra(),
                       "conflict_summary": _summary([3.0, 1.0])})
    inf = _infra(0.3)  # adds f2: a border fence from 60.1 to 60.4 E at 45.2 N (inside PTCR 1)
    inf.loc[inf["infra_id"] == "r1", "name"] = "Rail A renamed"  # modified attribute
    inf = inf[inf["infra_id"] != "f1"]  # removed
    atlas.update(new, {"ptcr": _ptcr(), "infrastructure": inf,
                       "conflict_summary": _summary([3.0, 5.0])})
    d = atlas.diff(old, new)
    t = d.table.set_index("layer")
    assert t.loc["infrastructure", ["features_added", "features_removed",
                                    "features_modified"]].tolist() == [1, 1, 1]
    assert t.loc["infrastructure", "id_column"] == "infra_id"
    assert t.loc["ptcr", "status"] == "unchanged"
    # km added: border_fence in PTCR 1 = geodesic length of the new fence
    exp = GEOD.line_length([60.1, 60.4], [45.2, 45.2]) / 1000
    row = d.km_added[(d.km_added["ptcr_id"] == 1) & (d.km_added["infra_type"] == "border_fence")]
    assert row["km_added"].iloc[0] == pytest.approx(exp, rel=1e-6)
    # the removed fence f1 (60.2-60.4 E at 45.5 N) shows as negative km in PTCR 1
    fence = d.km_added[(d.km_added["ptcr_id"] == 1) & (d.km_added["infra_type"] == "fence")]
    assert fence["km_added"].iloc[0] == pytest.approx(
        -GEOD.line_length([60.2, 60.4], [45.5, 45.5]) / 1000, rel=1e-6)
    sc = d.score_changes
    assert sc["ptcr_id"].tolist() == [2]
    assert sc["delta"].iloc[0] == pytest.approx(4.0)
    assert sc[["rank_old", "rank_new"]].iloc[0].tolist() == [2, 1]


def test_diff_without_ids_uses_content_hash_and_html_is_escaped(tmp_path: Path) -> None:
    old, new = tmp_path / "old.gpkg", tmp_path / "new.gpkg"
    g = gpd.GeoDataFrame({"label": ["a", "b"]},
                         geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)], crs="EPSG:3857")
    atlas.update(old, {"zones": g})
    g2 = g.copy()
    g2.loc[1, "label"] = "<script>window.x=1</script>"
    atlas.update(new, {"zones": g2})
    d = atlas.diff(old, new)
    r = d.table.iloc[0]
    assert (r["features_added"], r["features_removed"], r["features_modified"]) == (1, 1, 0)
    text = d.to_html(tmp_path / "diff.html")
    assert (tmp_path / "diff.html").read_text(encoding="utf-8") == text
    assert "<table>" in text and "zones" in text


def test_diff_html_escapes_layer_values(tmp_path: Path) -> None:
    old, new = tmp_path / "o.gpkg", tmp_path / "n.gpkg"
    atlas.update(old, {"a": pd.DataFrame({"id": [1]})})
    atlas.update(new, {"a": pd.DataFrame({"id": [1]})})
    d = atlas.diff(old, new)
    d.old = "<img src=x onerror=alert(1)>"
    text = d.to_html()
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


@pytest.mark.parametrize(
    ("layers", "match"),
    [
        ({"bad name": pd.DataFrame({"a": [1]})}, r"invalid layer name 'bad name'"),
        ({"x__v2": pd.DataFrame({"a": [1]})}, r"invalid layer name 'x__v2'.*'__v'"),
        ({atlas.PROVENANCE_TABLE: pd.DataFrame({"a": [1]})}, r"reserved for Atlas metadata"),
        ({"a": [1, 2]}, r"layers\['a'\]: expected a GeoDataFrame or DataFrame, got list"),
        ({"a": gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)])}, r"layers\['a'\].*has no CRS"),
        ({}, r"nothing to write"),
    ],
)
def test_update_bad_input(tmp_path: Path, layers: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        atlas.update(tmp_path / "a.gpkg", layers)
    assert not (tmp_path / "a.gpkg").exists()


def test_missing_input_file_and_missing_atlas(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"inputs: input file .*nope.csv"):
        atlas.update(tmp_path / "a.gpkg", {"a": pd.DataFrame({"x": [1]})},
                     inputs=[tmp_path / "nope.csv"])
    with pytest.raises(DataNotFoundError, match=r"no Atlas GeoPackage at .*missing.gpkg"):
        atlas.history(tmp_path / "missing.gpkg")
    plain = tmp_path / "plain.gpkg"
    _ptcr().to_file(plain, layer="ptcr")
    with pytest.raises(SchemaError, match=r"has no camigeo_provenance table"):
        atlas.history(plain)


def test_empty_layer_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "a.gpkg"
    empty = gpd.GeoDataFrame({"infra_id": pd.Series([], dtype=object)},
                             geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    atlas.update(path, {"passage_hotspots": empty})
    back = atlas.read_atlas_layer(path, "passage_hotspots")
    assert len(back) == 0
    assert atlas.layer_versions(path)["rows"].tolist() == [0]


# ------------------------------------------------------------------------------ PostGIS
def _find_pg_bin() -> Path | None:
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    return None


def _postgis_available(bindir: Path) -> bool:
    ver = bindir.parent.name
    return any(Path("/usr/share/postgresql").glob(f"{ver}/extension/postgis.control"))


@pytest.fixture
def postgis_url():  # pragma: no cover - environment dependent
    pytest.importorskip("geoalchemy2", reason="geoalchemy2 not installed (extra 'postgis')")
    pytest.importorskip("psycopg", reason="psycopg not installed (extra 'postgis')")
    bindir = _find_pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb/pg_ctl) not installed "
                    "(Debian package 'postgresql')")
    if not _postgis_available(bindir):
        pytest.skip("PostGIS extension not installed (Debian package 'postgis')")
    import tempfile

    # pytest's tmp folders are private (0700); the server may run as another user
    base = Path(tempfile.mkdtemp(prefix="camigeo-pg-"))
    data = base / "pgdata"
    sock = base / "sock"
    sock.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the throwaway cluster as 'postgres'
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root and no 'postgres' user to own the test cluster")
        if shutil.which("runuser") is None:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root without runuser")
        run_as = ["runuser", "-u", "postgres", "--"]
        os.chmod(base, 0o755)
        shutil.chown(sock, "postgres")
        data.mkdir()
        shutil.chown(data, "postgres")
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "camigeo",
                    "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    port = 54000 + os.getpid() % 1000
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(data / "server.log"), "-o",
                    f"-k {sock} -p {port} -c listen_addresses=''", "start"],
                   check=True, capture_output=True)
    try:
        subprocess.run([str(bindir / "psql"), "-h", str(sock), "-p", str(port), "-U",
                        "camigeo", "-d", "postgres", "-c", "CREATE EXTENSION postgis"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg://camigeo@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.postgis
def test_export_to_postgis(tmp_path: Path, postgis_url: str) -> None:
    import sqlalchemy

    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"infrastructure": _infra(), "conflict_summary": _summary([1, 2])})
    written = atlas.export_postgis(path, postgis_url)
    assert set(written) == {"infrastructure", "conflict_summary", atlas.VERSIONS_TABLE,
                            atlas.PROVENANCE_TABLE}
    eng = sqlalchemy.create_engine(postgis_url)
    try:
        back = gpd.read_postgis("SELECT * FROM infrastructure", eng, geom_col="geometry")
        km = pd.read_sql("SELECT infra_id, ST_Length(geometry::geography) / 1000 AS km "
                         "FROM infrastructure ORDER BY infra_id", eng)
    finally:
        eng.dispose()
    assert sorted(back["infra_id"]) == ["f1", "r1"]
    # PostGIS' own geodesic length agrees with pyproj.Geod
    assert km["km"].to_numpy() == pytest.approx(
        [GEOD.line_length([60.2, 60.4], [45.5, 45.5]) / 1000,
         GEOD.line_length([60.0, 61.0], [45.0, 45.0]) / 1000], rel=1e-6)


def test_export_postgis_bad_url(tmp_path: Path) -> None:
    pytest.importorskip("geoalchemy2", reason="geoalchemy2 not installed (extra 'postgis')")
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"a": pd.DataFrame({"x": [1]})})
    from camigeo._errors import CamigeoError

    with pytest.raises(CamigeoError, match=r"to: expected a postgresql:// URL, got 'sqlite://'"):
        atlas.export_postgis(path, "sqlite://")


def test_content_hash_is_order_independent() -> None:
    g = gpd.GeoDataFrame({"b": [1, 2], "a": ["x", "y"]},
                         geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)], crs="EPSG:4326")
    assert atlas._table_sha256(g) == atlas._table_sha256(g.iloc[::-1][["a", "geometry", "b"]])
    g2 = g.copy()
    g2.loc[0, "b"] = 3
    assert atlas._table_sha256(g) != atlas._table_sha256(g2)
    h = atlas._content_hashes(g)
    assert h.dtype == "uint64" and h.nunique() == 2
    g3 = g.copy()
    g3.loc[1, "geometry"] = box(1, 1, 2, 2.001)  # geometry change alone changes the hash
    assert atlas._content_hashes(g3).iloc[1] != h.iloc[1]
    assert atlas._content_hashes(g3).iloc[0] == h.iloc[0]


def test_diff_km_by_status_planned_to_existing(tmp_path: Path) -> None:
    old, new = tmp_path / "o.gpkg", tmp_path / "n.gpkg"
    a = _infra()
    a.loc[a["infra_id"] == "r1", "status"] = "planned"
    atlas.update(old, {"ptcr": _ptcr(), "infrastructure": a})
    atlas.update(new, {"ptcr": _ptcr(), "infrastructure": _infra()})  # r1 now existing
    km = atlas.diff(old, new).km_added
    rail = km[km["infra_type"] == "railway"].set_index(["ptcr_id", "status"])["km_added"]
    half = GEOD.line_length([60.0, 60.5], [45.0, 45.0]) / 1000  # r1 is split at 60.5 E
    assert rail.loc[(1, "planned")] == pytest.approx(-half, rel=1e-6)
    assert rail.loc[(1, "existing")] == pytest.approx(half, rel=1e-6)
    assert rail.loc[(2, "existing")] == pytest.approx(half, rel=1e-6)
    assert len(km) == 4  # the fence did not change


@pytest.mark.postgis
@pytest.mark.slow
def test_cli_to_postgis_run_update_and_export(tmp_path: Path, postgis_url: str) -> None:
    """The CLI paths `run --to`, `atlas update --to` and `atlas export --to --schema`."""
    import sqlalchemy
    from typer.testing import CliRunner

    from camigeo import datasets
    from camigeo.cli import app

    runner = CliRunner()
    # 1. camigeo run --to, on one bundled PTCR (keeps the report to two pages)
    one = datasets.load_ptcrs()
    one = one[one["ptcr_id"] == 1]
    ptcr_file = tmp_path / "ptcr1.gpkg"
    one.to_file(ptcr_file)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", "--out", str(out), "--ptcrs", str(ptcr_file), "--skip",
                              "corridors", "--skip", "circuit", "--skip", "fragmentation",
                              "--tiles", "none", "--to", postgis_url, "-q"])
    assert res.exit_code == 0, res.output
    eng = sqlalchemy.create_engine(postgis_url)
    try:
        summ = pd.read_sql("SELECT ptcr_id, conflict_score FROM conflict_summary", eng)
        prov = pd.read_sql(f"SELECT command FROM {atlas.PROVENANCE_TABLE}", eng)
        # the hexagon grid is in a CRS without EPSG code: exported as EPSG:4326, not SRID 0
        srid = pd.read_sql("SELECT Find_SRID('public', 'conflict_grid', 'geometry') AS s",
                           eng)["s"].iloc[0]
        n_grid = pd.read_sql("SELECT count(*) AS n FROM conflict_grid", eng)["n"].iloc[0]
        pg_km = pd.read_sql("SELECT infra_id, ST_Length(geometry::geography) / 1000 AS km "
                            "FROM infrastructure ORDER BY infra_id", eng)
        # 2. camigeo atlas update --to replaces the tables with the updated Atlas
        f = tmp_path / "infra.gpkg"
        _infra().to_file(f, layer="infrastructure")
        a = tmp_path / "a.gpkg"
        res = runner.invoke(app, ["atlas", "update", str(a), f"{f}::infrastructure", "--to",
                                  postgis_url, "-q"])
        assert res.exit_code == 0, res.output
        assert "exported 3 tables to PostGIS" in res.output
        ids = pd.read_sql("SELECT infra_id FROM infrastructure ORDER BY infra_id",
                          eng)["infra_id"].tolist()
        # 3. camigeo atlas export --to --schema
        with eng.begin() as con:
            con.execute(sqlalchemy.text("CREATE SCHEMA atlas2"))
        res = runner.invoke(app, ["atlas", "export", str(a), "--to", postgis_url,
                                  "--schema", "atlas2", "-q"])
        assert res.exit_code == 0, res.output
        n2 = pd.read_sql("SELECT count(*) AS n FROM atlas2.infrastructure", eng)["n"].iloc[0]
    finally:
        eng.dispose()
    # the ranked PTCR table reached PostGIS: one PTCR, its score as in the GeoPackage
    gp = atlas.read_atlas_layer(out / "atlas.gpkg", "conflict_summary")
    assert summ["ptcr_id"].tolist() == [1]
    assert summ["conflict_score"].iloc[0] == pytest.approx(float(gp["conflict_score"].iloc[0]))
    assert prov["command"].tolist() == ["camigeo run"]
    assert srid == 4326
    assert n_grid == len(atlas.read_atlas_layer(out / "atlas.gpkg", "conflict_grid")) > 0
    # PostGIS' geodesic km of the bundled lines agree with pyproj.Geod (camigeo.crs)
    from camigeo.io.crs import geodesic_length_km

    infra = datasets.load_infrastructure().sort_values("infra_id")
    assert pg_km["infra_id"].tolist() == infra["infra_id"].tolist()
    assert pg_km["km"].to_numpy() == pytest.approx(
        geodesic_length_km(infra.geometry.to_crs(4326)), rel=1e-6)
    assert ids == ["f1", "r1"]
    assert n2 == 2
