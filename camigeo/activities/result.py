"""The result of one activity run and how it is written (Atlas layers, map, report section)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ActivityResult", "layer_prefix"]


def layer_prefix(activity_id: str) -> str:
    """Atlas layer prefix of an activity: ``"BD 7.4"`` → ``"activity_bd_7_4"``."""
    return "activity_" + re.sub(r"[^a-z0-9]+", "_", activity_id.lower()).strip("_")


@dataclass
class ActivityResult:
    """What :func:`camigeo.activities.run_activity` produced.

    Attributes
    ----------
    activity_id : str
        Registry id ("BD 7.4").
    recipe : str
        Recipe family (``riparian_corridor``, ``core_corridors``, ``fence_crossings``,
        ``line_whatif``, ``line_screening``, ``inventory``, ``track_corridors``).
    finding : str
        One paragraph with the numbers and their units.
    headline : str
        One line for summary tables ("BD 7.4: corridor of 270 km along the Ile; ...").
    figures : dict
        The headline numbers (keys end in their unit: ``_km``, ``_km2``, ``_pct``, ...).
    layers : dict of str to GeoDataFrame/DataFrame
        Result layers (short names; written as ``activity_<id>_<name>``).
    rasters : dict of str to Raster
        Result rasters (resistance, corridor cost, ...).
    assumptions : list of str
        Every assumption used (registry text + recipe defaults + data caveats).
    params : dict
        Recipe parameters.
    files : dict of str to Path
        Files written by :meth:`write`.
    """

    activity_id: str
    recipe: str
    finding: str
    headline: str
    figures: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, Any] = field(default_factory=dict)
    rasters: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def atlas_layers(self) -> dict[str, Any]:
        """Return the layers under their Atlas names.

        Layers under their Atlas names (``activity_<id>_<name>``), with the finding as
        a one-row ``activity_<id>_finding`` table.
        """
        pre = layer_prefix(self.activity_id)
        out = {f"{pre}_{k}": v for k, v in self.layers.items() if v is not None}
        out[f"{pre}_finding"] = pd.DataFrame([{
            "activity_id": self.activity_id, "recipe": self.recipe, "headline": self.headline,
            "finding": self.finding, "assumptions": " | ".join(self.assumptions)}])
        return out

    def report_md(self) -> str:
        """Return a report section (Markdown): finding, assumptions, layers."""
        lines = [f"## {self.activity_id} ({self.recipe})\n", self.finding + "\n",
                 "Assumptions:\n"] + [f"- {a}" for a in self.assumptions]
        lines += ["", "Layers: " + ", ".join(f"`{k}` ({len(v)} rows)"
                                             for k, v in self.atlas_layers().items()), ""]
        return "\n".join(lines)

    def write(self, out: str | os.PathLike[str], *, atlas: str | os.PathLike[str] | None = None,
              map_html: bool = True) -> dict[str, Path]:
        """Write the layers into an Atlas, a map and a report section.

        Write the layers into an Atlas (versioned, provenance naming the activity), a map
        ``<prefix>_map.html`` and a report section ``<prefix>.md`` into ``out``.

        Parameters
        ----------
        out : path
            Output folder (created).
        atlas : path, optional
            Atlas GeoPackage (default ``<out>/atlas.gpkg``).
        map_html : bool, default True
            Write the HTML map.

        Returns
        -------
        dict of str to Path
        """
        import camigeo
        from camigeo import atlas as _atlas

        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        atlas_path = Path(atlas) if atlas else folder / "atlas.gpkg"
        pre = layer_prefix(self.activity_id)
        run_id = _atlas.update(atlas_path, self.atlas_layers(),
                               command=f"camigeo activity run {self.activity_id}",
                               params={"activity": self.activity_id, "recipe": self.recipe,
                                       **self.params})
        self.files["atlas"] = atlas_path
        self.params["run_id"] = run_id
        md = folder / f"{pre}.md"
        tmp = md.with_name(f".{md.name}.tmp")
        tmp.write_text(self.report_md(), encoding="utf-8")
        os.replace(tmp, md)  # atomic on one file system
        self.files["report"] = md
        geo = {k: v for k, v in self.layers.items()
               if hasattr(v, "geometry") and hasattr(v, "crs") and len(v)}
        if map_html and geo:
            m = None
            colors = ["#d7301f", "#2b8cbe", "#31a354", "#756bb1", "#e6550d", "#636363"]
            for i, (name, gdf) in enumerate(geo.items()):
                cols = [c for c in gdf.columns if c != "geometry"][:8]
                m = camigeo.explore(gdf.to_crs("EPSG:4326"), m=m, name=name,
                                    color=colors[i % len(colors)], popup_columns=cols,
                                    add_layer_control=i == len(geo) - 1, tiles=None)
            self.files["map"] = camigeo.save_map(m, folder / f"{pre}_map.html")
        return self.files
