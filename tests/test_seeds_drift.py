"""Drift guard: the bundled PTCR and species tables against the Work Programme text.

Parses ``$CAMIGEO_SHARED/seeds/000_7476e8aba978c2aa.txt`` (the CAMI Work Programme
2026-2032) with its own small parser, independent of ``scripts/data_wp.py``, and checks the
bundled tables: PTCR names and order (§4), countries (section headings 12-24), species
(``Species:`` lines, resolved through :func:`camigeo.resolve_species`), qualifiers, Table 1
(common names, CMS names, appendices) and the Range States. A changed seed or a hand edit of
the bundled data fails here.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from camigeo import datasets
from camigeo.datasets.species import resolve_species, species_table
from camigeo.io.validate import split_list

pytestmark = pytest.mark.reference

WP = "000_7476e8aba978c2aa.txt"
ISO3 = {"Afghanistan": "AFG", "Bhutan": "BTN", "China": "CHN", "India": "IND", "Iran": "IRN",
        "Kazakhstan": "KAZ", "Kyrgyzstan": "KGZ", "Mongolia": "MNG", "Nepal": "NPL",
        "Pakistan": "PAK", "Russian Federation": "RUS", "Tajikistan": "TJK",
        "Turkmenistan": "TKM", "Uzbekistan": "UZB"}


@pytest.fixture(scope="module")
def wp_lines(reference_dir):
    path = reference_dir.parent / "seeds" / WP
    if not path.is_file():
        pytest.skip(f"{path} not found (set CAMIGEO_SHARED)")
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def sections(wp_lines):
    """{section number: (name, [countries], species text)} of sections 12-24."""
    out = {}
    for i, line in enumerate(wp_lines):
        m = re.match(r"^(1[2-9]|2[0-4])\. ([^(]+?) \(([^)]+)\) [–-] \d+\s*$", line.strip())
        if m:
            species = next(t for t in wp_lines[i + 1:i + 6] if t.startswith("Species:"))
            out[int(m.group(1))] = (m.group(2), [c.strip() for c in m.group(3).split(",")],
                                    species.split(":", 1)[1].strip())
    return out


def test_ptcr_names_and_order_follow_section_4(wp_lines):
    start = wp_lines.index(next(t for t in wp_lines if t.startswith("4. The PTCRs")))
    listed = []
    for line in wp_lines[start + 1:]:
        if line.startswith("Figure 1"):
            break
        m = re.match(r"^\s*-\s*(\d+)\) (.+?)\s*$", line)
        if m:
            listed.append((int(m.group(1)), m.group(2)))
    assert [n for n, _ in listed] == list(range(1, 14))
    p = datasets.load_ptcrs()
    assert list(zip(p["ptcr_id"], p["name"], strict=True)) == listed


def test_ptcr_countries_species_and_qualifiers_follow_sections_12_to_24(sections):
    assert sorted(sections) == list(range(12, 25))
    p = datasets.load_ptcrs().set_index("ptcr_id")
    for number, (name, countries, species) in sections.items():
        rec = p.loc[number - 11]
        assert re.sub(r"\s*/\s*", "/", name) == rec["name"]
        assert split_list(rec["countries"]) == [ISO3[c] for c in countries], name
        items = [s.strip() for s in species.split(",")]
        names = [re.sub(r"\s*\(.*\)$", "", s) for s in items]
        assert split_list(rec["species"]) == [resolve_species(n) for n in names], name
        quals = []
        for s in items:
            m = re.match(r"^(.+?) \((.+)\)$", s)
            if m:
                quals.append(f"{resolve_species(m.group(1))}: {m.group(2)}")
        assert split_list(rec["species_qualifiers"]) == quals, name


def test_species_table_follows_table_1(wp_lines):
    rows = [re.match(r"^(\d+)\t(.+?)\t<i>(.+?)</i>\tApp\. (.+?)\s*$", t) for t in wp_lines]
    rows = [m.groups() for m in rows if m]
    assert [int(r[0]) for r in rows] == list(range(1, 18))
    table = species_table()
    got = list(zip(table["common_name"], table["cms_name"], table["cms_appendix"], strict=True))
    assert got == [(r[1], r[2], r[3]) for r in rows]


def test_iucn_names_follow_the_paragraph_under_table_1(wp_lines):
    para = next(t for t in wp_lines if "The species concerned are" in t)
    table = species_table().set_index("common_name")
    pairs = re.findall(r"([A-Z]?[a-z' ]+?) \(((?:\*[^*]+\*(?: and )?)+)\)",
                       para.split("The species concerned are", 1)[1])
    assert len(pairs) == 6
    for common, names in pairs:
        cms = resolve_species(common.strip().removeprefix("and ").removeprefix("the "))
        row = table[table["cms_name"] == cms].iloc[0]
        assert split_list(row["iucn_name"]) == re.findall(r"\*([^*]+)\*", names)


def test_range_states_and_cms_parties(wp_lines):
    line = next(t for t in wp_lines if t.startswith("The following are considered Range States"))
    body = line.split(":", 1)[1].split("(the names")[0]
    items = [s.strip() for s in re.split(r",\s*|\s+and\s+", body) if s.strip()]
    parties = {i for i in items if re.search(r"\b[A-Z]{2,}\b", i)}
    states = pd.read_csv(datasets.data_dir() / "species_ranges" / "range_states.csv")
    assert states["name_printed"].tolist() == items
    assert set(states.loc[states["cms_party"], "name_printed"]) == parties
    assert set(states["iso3"]) == set(ISO3.values())
    # every PTCR country is a CAMI Range State
    p = datasets.load_ptcrs()
    assert {c for v in p["countries"] for c in split_list(v)} <= set(states["iso3"])
