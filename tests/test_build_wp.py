"""scripts/data_wp.py: the Work Programme parser fails loudly on text it does not expect.

Reference tests: they read the seed in ``$CAMIGEO_SHARED/seeds`` and feed edited copies of
it to the parser.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.reference

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
WP = "000_7476e8aba978c2aa.txt"


@pytest.fixture(scope="module")
def data_wp(reference_dir):
    if not (SCRIPTS / "data_wp.py").is_file():
        pytest.skip("scripts/ not available (installed package)")
    if not (reference_dir.parent / "seeds" / WP).is_file():
        pytest.skip("seed documents not found (set CAMIGEO_SHARED)")
    sys.path.insert(0, str(SCRIPTS))
    try:
        import data_wp
    finally:
        sys.path.remove(str(SCRIPTS))
    return data_wp


@pytest.fixture(scope="module")
def text(reference_dir) -> str:
    return (reference_dir.parent / "seeds" / WP).read_text(encoding="utf-8")


def _parse(data_wp, tmp_path, text):
    path = tmp_path / WP
    path.write_text(text, encoding="utf-8")
    return data_wp.parse_work_programme(path)


def test_parses_the_seed(data_wp, tmp_path, text):
    wp = _parse(data_wp, tmp_path, text)
    assert [p.ptcr_id for p in wp.ptcrs] == list(range(1, 14))
    assert [p.section for p in wp.ptcrs] == list(range(12, 25))
    assert len(wp.species) == 17 and len(wp.range_states) == 14
    assert sum(party for _, _, party in wp.range_states) == 10
    kop = wp.ptcrs[3]
    assert (kop.heading_line, kop.species_line) == (308, 309)
    assert kop.countries == ["IRN", "TKM"] and len(kop.species_common) == 7
    assert sum(len(p.changes) for p in wp.ptcrs) == 13  # 7 renamings, 3 expansions, 3 new


@pytest.mark.parametrize(("old", "new", "match"), [
    ("15. Kopetdag (Iran, Turkmenistan) - 4", "15. Kopetdag (Iran, Turkmenistan) - 5",
     r"line 308: expected PTCR number 4"),
    ("15. Kopetdag (Iran, Turkmenistan) - 4", "15. Kopet Dag (Iran, Turkmenistan) - 4",
     r"line 308: expected the §4 name 'Kopetdag'"),
    ("15. Kopetdag (Iran, Turkmenistan) - 4", "15. Kopetdag (Iran, Armenia) - 4",
     r"line 308: expected a known country; found 'Armenia'"),
    ("Species: goitered gazelle, lynx, urial", "Species: goitered gazelle, lynx, markhor",
     r"species 'markhor' .* matches 0 rows of Table 1"),
    ("6\tGobi bear\t<i>Ursus arctos isabellinus</i>\tApp. II",
     "6\tGobi bear\t<i>Ursus arctos isabellinus</i>\tApp. III",
     r"line 69: expected appendix"),
    ("- 13) Eastern Himalaya", "- 14) Eastern Himalaya", r"line 54: expected item 13\)"),
    ("- Eastern Ustyurt was renamed Northern and Eastern Ustyurt;",
     "- Eastern Ustyurt was renamed Eastern Ustyurt Plateau;",
     r"line 459: expected 'X was renamed <PTCR>'"),
])
def test_unexpected_text_stops_the_build(data_wp, tmp_path, text, old, new, match):
    assert old in text
    with pytest.raises(SystemExit, match=match):
        _parse(data_wp, tmp_path, text.replace(old, new, 1))
