"""The two example what-if scenarios of docs/network.md, on the bundled (schematic) data.

1. Tavan Tolgoi–Zuunbayan railway built vs not built (Gobi PTCR, khulan + goitered gazelle).
2. Opening the KAZ–UZB border fence on the Ustyurt (PTCRs 1 and 2) at the three best
   points, picked one after another by marginal ΔECA (``rank_passages(select=3)``) (saiga).

The bundled geometries are schematic (tens of km accuracy): the numbers illustrate the
workflow, they are not findings. Assumptions (also in docs/network.md): cores = parts of
the species ranges inside the PTCR window that lie >= 5 km from every line of the
scenario with the most infrastructure, >= 300 km²; resistance 1 inside ranges, 10 outside,
default per-type infrastructure resistance; 5 km cells in the Central-Asia Albers CRS;
dispersal kernel p = 0.5 at d0 = 50,000 cost units (50 km at resistance 1).

Run: ``python scripts/example_scenarios.py``.
"""

from __future__ import annotations

import time

import geopandas as gpd
import pandas as pd
import shapely

import camigeo
from camigeo import datasets
from camigeo.corridors.scenarios import Scenario, compare_scenarios
from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA as EQUAL_AREA

CELL_M = 5000.0
D0 = 50_000.0
CORE_GAP_M = 5000.0
MIN_CORE_KM2 = 300.0

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 12)


def window(ptcr_ids: list[int], bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """PTCR polygons clipped to a lon/lat box, in the equal-area CRS."""
    ptcrs = datasets.load_ptcrs()
    p = ptcrs[ptcrs["ptcr_id"].isin(ptcr_ids)].clip(shapely.box(*bbox))
    return p.to_crs(EQUAL_AREA)


def make_cores(ranges: gpd.GeoDataFrame, region: gpd.GeoDataFrame,
               infra: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    hab = shapely.intersection(ranges.to_crs(EQUAL_AREA).union_all(), region.union_all())
    cut = infra.to_crs(EQUAL_AREA).buffer(CORE_GAP_M).union_all()
    parts = shapely.get_parts(shapely.difference(hab, cut))
    cores = gpd.GeoDataFrame(geometry=list(parts), crs=EQUAL_AREA)
    cores = cores[cores.area >= MIN_CORE_KM2 * 1e6].reset_index(drop=True)
    cores.insert(0, "core_id", range(1, len(cores) + 1))
    return cores


def template(region: gpd.GeoDataFrame, margin_m: float = 100_000.0) -> dict:
    x0, y0, x1, y1 = region.total_bounds
    x0, y0 = x0 - margin_m, y0 - margin_m
    nx_, ny_ = int((x1 + margin_m - x0) // CELL_M) + 1, int((y1 + margin_m - y0) // CELL_M) + 1
    return {"bounds": (x0, y0, x0 + nx_ * CELL_M, y0 + ny_ * CELL_M), "cellsize_m": CELL_M,
            "crs": EQUAL_AREA}


def lines_in(region: gpd.GeoDataFrame, margin_m: float = 100_000.0) -> gpd.GeoDataFrame:
    infra = datasets.load_infrastructure().to_crs(EQUAL_AREA)
    box = shapely.box(*region.total_bounds).buffer(margin_m)
    return infra[infra.intersects(box)].reset_index(drop=True)


def report(title: str, cmp, extra: str = "") -> None:
    print(f"\n=== {title} ===")
    if extra:
        print(extra)
    cols = ["core_a", "core_b", "cw_dist_base", "cw_dist_scenario", "delta_cw_dist",
            "delta_cw_dist_pct", "status"]
    changed = cmp.links[cmp.links["delta_cw_dist"].fillna(1) != 0]
    print(f"links: {len(cmp.links)} core pairs, {len(changed)} changed")
    print(changed[cols].sort_values("delta_cw_dist").to_string(index=False))
    print(cmp.graph[["PC", "ECA", "n_links"]].to_string())
    if cmp.conflict is not None:
        print(cmp.conflict[["ptcr_id", "ptcr_name", "conflict_score_base",
                            "conflict_score_scenario", "delta_conflict_score"]].to_string(
            index=False))


def tavan_tolgoi(verbose: bool = True):
    region = window([11], (102.0, 41.0, 111.5, 46.5))
    ranges = datasets.load_ranges(["Equus hemionus", "Gazella subgutturosa"])
    infra = lines_in(region)
    rail_id = "MNG-RW-TT-ZUUNBAYAN"
    rail = infra[infra["infra_id"] == rail_id]
    base_infra = infra[infra["infra_id"] != rail_id].reset_index(drop=True)
    cores = make_cores(ranges, region, infra)  # cores cut by every line incl. the railway
    ptcrs = datasets.load_ptcrs()
    base = Scenario(cores=cores, template=template(region), infrastructure=base_infra,
                    ranges=ranges.to_crs(EQUAL_AREA), ptcrs=ptcrs[ptcrs["ptcr_id"] == 11],
                    name="railway not built")
    cmp = compare_scenarios(base, add=rail, d0=D0, name="railway built")
    if verbose:
        report("Tavan Tolgoi–Zuunbayan railway: built vs not built", cmp,
               f"{len(cores)} cores, {len(infra)} lines in the window")
    return cmp


def ustyurt_fence(verbose: bool = True):
    # the Ustyurt plateau: PTCRs 1 (Western and Southern) and 2 (Northern and Eastern)
    region = window([1, 2], (54.0, 41.0, 60.0, 46.5))
    ranges = datasets.load_ranges("Saiga tatarica")
    ranges = ranges[ranges["population"] == "Ustyurt"]
    infra = lines_in(region)
    cores = make_cores(ranges, region, infra)
    tpl = template(region)
    base = Scenario(cores=cores, template=tpl, infrastructure=infra,
                    ranges=ranges.to_crs(EQUAL_AREA), name="fence as is")
    resistance = camigeo.build_resistance(tpl, ranges=base.ranges, infrastructure=infra)
    fence = infra[infra["infra_id"] == "BF-KAZ-UZB-USTYURT"]
    # select=3: greedy sequential picks (each by its marginal ΔECA with the earlier picks
    # open); the independent ranking puts two 10 km neighbours in its top 3
    ranked = camigeo.rank_passages(None, barriers=fence, resistance=resistance, cores=cores,
                                   spacing_km=10.0, d0=D0, select=3)
    top3 = ranked[ranked["pick"].notna()].sort_values("pick")

    def where(rows: gpd.GeoDataFrame, col: str) -> str:
        lonlat = rows.to_crs("EPSG:4326").geometry
        return "; ".join(f"#{k}: {p.y:.3f} N {p.x:.3f} E" for k, p in zip(rows[col], lonlat,
                                                                          strict=True))

    cmp = compare_scenarios(base, open_passages=top3[["geometry"]], d0=D0,
                            name=f"{len(top3)} openings")
    if verbose:
        gains = ", ".join(f"{g:.0f}" for g in top3["pick_gain"])
        report("KAZ–UZB fence (Ustyurt): up to three best openings (greedy sequential)", cmp,
               f"{len(cores)} cores, {len(ranked)} candidates every 10 km\n"
               f"independent top 3: {where(ranked.head(3), 'rank')}\n"
               f"greedy picks: {where(top3, 'pick')} (marginal ΔECA km²: {gains})")
    return cmp, top3


if __name__ == "__main__":
    for job in (tavan_tolgoi, ustyurt_fence):
        t0 = time.perf_counter()
        job()
        print(f"({time.perf_counter() - t0:.1f} s)")
