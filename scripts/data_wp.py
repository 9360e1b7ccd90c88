"""Parse the CAMI Work Programme 2026-2032 (seed ``000_…txt``) for ``scripts/build_data.py``.

Everything the bundled PTCR and species tables take from the Work Programme (WP) is read
here from the plain-text seed, with line numbers, and every step checks that the text has
the expected shape: a changed or different document stops the build with a message naming
the line, instead of giving a silently wrong table.

Run only through ``python scripts/build_data.py``.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The seed files the data is built from (``../shared/seeds``, see its README).
WP_FILE = "000_7476e8aba978c2aa.txt"
BKD_FILE = "003_8b0bd1bf03a7167e.txt"
SAIGA_FILE = "004_aec4fae4ae3a5754.txt"
SEED_FILES = ("000_7476e8aba978c2aa.txt", "001_c153f5e17b612971.txt",
              "002_b9d620647ea4f81a.txt", BKD_FILE, SAIGA_FILE)

#: Country names as the WP prints them -> ISO 3166 alpha-3.
COUNTRY_ISO3 = {
    "Afghanistan": "AFG", "Bhutan": "BTN", "China": "CHN", "India": "IND", "Iran": "IRN",
    "the Islamic Republic of Iran": "IRN", "Kazakhstan": "KAZ", "Kyrgyzstan": "KGZ",
    "Mongolia": "MNG", "Nepal": "NPL", "Pakistan": "PAK", "Russian Federation": "RUS",
    "the Russian Federation": "RUS", "Tajikistan": "TJK", "Turkmenistan": "TKM",
    "Uzbekistan": "UZB",
}


class WPParseError(SystemExit):
    """The Work Programme text does not have the expected shape."""


def shared_dir() -> Path:
    """``CAMIGEO_SHARED`` or ``<repo>/../shared`` (the layout of the camigeo workspace)."""
    env = os.environ.get("CAMIGEO_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def seed_path(name: str) -> Path:
    path = shared_dir() / "seeds" / name
    if not path.is_file():
        raise SystemExit(f"seed document {path} not found: set CAMIGEO_SHARED to the folder "
                         "holding seeds/ and reference/ (the camigeo shared folder)")
    return path


def read_lines(path: Path) -> list[str]:
    """Lines of ``path`` without line ends (index 0 = line 1)."""
    return path.read_text(encoding="utf-8").splitlines()


def _clean(text: str) -> str:
    text = re.sub(r"</?(u|i|b)>", "", text)
    return " ".join(text.replace("\t", " ").split())


def _fail(line: int, what: str, got: str) -> WPParseError:
    return WPParseError(f"{WP_FILE} line {line}: expected {what}; found {got!r}. The Work "
                        "Programme text changed: update scripts/data_wp.py and the data.")


@dataclass
class Species:
    number: int
    common_name: str
    cms_name: str
    appendix: str
    line: int
    iucn_names: list[str] = field(default_factory=list)
    iucn_line: int | None = None


@dataclass
class PTCR:
    ptcr_id: int
    name: str
    list_line: int
    section: int = 0
    heading_line: int = 0
    heading_name: str = ""
    heading_number: str = ""
    countries: list[str] = field(default_factory=list)
    species_common: list[str] = field(default_factory=list)
    qualifiers: dict[str, str] = field(default_factory=dict)
    species_line: int = 0
    instruments: list[str] = field(default_factory=list)
    instrument_lines: list[int] = field(default_factory=list)
    former_names: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    annex_lines: list[int] = field(default_factory=list)


@dataclass
class WorkProgramme:
    ptcrs: list[PTCR]
    species: list[Species]
    range_states: list[tuple[str, str, bool]]  # printed name, ISO3, CMS Party
    range_states_line: int
    sha256: str


# --------------------------------------------------------------------------- §4 list
def _parse_list(lines: list[str]) -> list[PTCR]:
    start = next((i for i, t in enumerate(lines) if t.startswith("4. The PTCRs are organized")),
                 None)
    if start is None:
        raise WPParseError(f"{WP_FILE}: §4 ('4. The PTCRs are organized ...') not found")
    out: list[PTCR] = []
    for i in range(start + 1, start + 30):
        m = re.match(r"^\s*-\s*(\d+)\)\s+(.+?)\s*$", lines[i])
        if m:
            if int(m.group(1)) != len(out) + 1:
                raise _fail(i + 1, f"item {len(out) + 1}) of the §4 list", lines[i])
            out.append(PTCR(ptcr_id=int(m.group(1)), name=m.group(2), list_line=i + 1))
        elif out and lines[i].strip().startswith("Figure"):
            break
    if len(out) != 13:
        raise WPParseError(f"{WP_FILE}: §4 lists {len(out)} PTCRs, expected 13")
    return out


# --------------------------------------------------------------------------- Table 1
def _parse_table1(lines: list[str]) -> list[Species]:
    head = next((i for i, t in enumerate(lines) if "Table 1. Species covered" in t), None)
    if head is None:
        raise WPParseError(f"{WP_FILE}: 'Table 1. Species covered' not found")
    out: list[Species] = []
    for i in range(head + 1, head + 25):
        m = re.match(r"^(\d+)\t(.+?)\t<i>(.+?)</i>\t(App\. .+?)\s*$", lines[i])
        if m:
            if int(m.group(1)) != len(out) + 1:
                raise _fail(i + 1, f"row {len(out) + 1} of Table 1", lines[i])
            out.append(Species(int(m.group(1)), m.group(2).strip(), m.group(3).strip(),
                               m.group(4).removeprefix("App. ").strip(), i + 1))
        elif out and not lines[i].strip():
            break
    if len(out) != 17:
        raise WPParseError(f"{WP_FILE}: Table 1 has {len(out)} rows, expected 17")
    for sp in out:
        if not re.fullmatch(r"I|II|I & II", sp.appendix):
            raise _fail(sp.line, "appendix 'App. I', 'App. II' or 'App. I & II'", sp.appendix)
    # the paragraph under the table: "The species concerned are the snow leopard (*Panthera
    # uncia*), ..., saiga antelope (*Saiga tatarica tatarica* and *Saiga tatarica
    # mongolica*) and Bukhara deer (*Cervus hanglu bactrianus*)."
    para = next((i for i in range(head, head + 30) if "The species concerned are" in lines[i]),
                None)
    if para is None:
        raise WPParseError(f"{WP_FILE}: the IUCN-name paragraph under Table 1 not found")
    text = lines[para].split("The species concerned are", 1)[1]
    pairs = re.findall(r"(?:the |, |and )?([A-Za-z' ]+?) \(((?:\*[^*]+\*(?: and )?)+)\)", text)
    if len(pairs) != 6:
        raise _fail(para + 1, "6 'common name (*IUCN name*)' pairs", text)
    by_common = {_key(s.common_name): s for s in out}
    for common, names in pairs:
        common = re.sub(r"^(?:the|and)\s+", "", common.strip())
        sp = by_common.get(_key(common))
        if sp is None:
            raise _fail(para + 1, "a Table 1 common name", common)
        sp.iucn_names = re.findall(r"\*([^*]+)\*", names)
        sp.iucn_line = para + 1
    return out


def _key(name: str) -> str:
    text = name.casefold().replace("’", "'")
    text = re.sub(r"'s\b|'", "", text)
    return " ".join(text.replace("-", " ").split())


def match_species(common: str, species: list[Species]) -> Species:
    """Table 1 row of a common name as the PTCR ``Species:`` lines print it.

    Exact match ignoring case and possessive ``'s``/``'`` ("Pallas's cat" = "Pallas' cat"),
    else the unique row whose common name ends or starts with it ("lynx" = "Eurasian
    lynx", "saiga" = "Saiga antelope").
    """
    k = _key(common)
    exact = [s for s in species if _key(s.common_name) == k]
    if len(exact) == 1:
        return exact[0]
    part = [s for s in species
            if _key(s.common_name).endswith(" " + k) or _key(s.common_name).startswith(k + " ")]
    if len(part) != 1:
        raise WPParseError(f"{WP_FILE}: species {common!r} of a PTCR 'Species:' line matches "
                           f"{len(part)} rows of Table 1 ({[s.common_name for s in part]})")
    return part[0]


# --------------------------------------------------------------------------- Range States
def _parse_range_states(lines: list[str]) -> tuple[list[tuple[str, str, bool]], int]:
    i = next((i for i, t in enumerate(lines)
              if t.startswith("The following are considered Range States to CAMI:")), None)
    if i is None:
        raise WPParseError(f"{WP_FILE}: the Range States sentence not found")
    body = lines[i].split(":", 1)[1].split("(the names of CMS Parties are capitalized)")[0]
    body = body.strip().rstrip(".").strip()
    items = [p.strip() for p in re.split(r",\s*|\s+and\s+", body) if p.strip()]
    out = []
    for item in items:
        words = re.sub(r"^the\s+", "", item)
        party = any(w.isupper() and len(w) > 1 for w in words.split())
        norm = " ".join(w.capitalize() if w.isupper() else w for w in words.split())
        norm = norm.replace("Islamic Republic Of Iran", "Islamic Republic of Iran")
        iso = COUNTRY_ISO3.get(norm) or COUNTRY_ISO3.get("the " + norm)
        if iso is None:
            raise _fail(i + 1, "a known country name", item)
        out.append((item, iso, party))
    if len(out) != 14:
        raise _fail(i + 1, "14 Range States", body)
    return out, i + 1


# --------------------------------------------------------------------------- sections 12-24
_HEAD = re.compile(r"^(\d{2})\. (.+?) \(([^)]+)\) [-–] (\d+)\s*$")


def _parse_sections(lines: list[str], ptcrs: list[PTCR]) -> None:
    heads = [(i, _HEAD.match(t.rstrip("\t "))) for i, t in enumerate(lines)]
    heads = [(i, m) for i, m in heads if m and 12 <= int(m.group(1)) <= 24]
    if [int(m.group(1)) for _, m in heads] != list(range(12, 25)):
        raise WPParseError(f"{WP_FILE}: PTCR section headings 12-24 not found in order "
                           f"(found {[m.group(1) for _, m in heads]})")
    ends = [i for i, _ in heads[1:]] + [next(i for i, t in enumerate(lines)
                                             if t.startswith("Annex to CAMI WP"))]
    for p, (i, m), end in zip(ptcrs, heads, ends, strict=True):
        p.section, p.heading_line = int(m.group(1)), i + 1
        p.heading_name, p.heading_number = m.group(2), m.group(4)
        if p.section != p.ptcr_id + 11:
            raise _fail(i + 1, f"section {p.ptcr_id + 11}", m.group(0))
        if re.sub(r"\s*/\s*", "/", p.heading_name) != p.name:
            raise _fail(i + 1, f"the §4 name {p.name!r}", p.heading_name)
        # the Gobi heading prints "– 1" where §4 and Figure 11 give 11 (a typo in the WP)
        if int(p.heading_number) != p.ptcr_id and not (p.ptcr_id == 11
                                                       and p.heading_number == "1"):
            raise _fail(i + 1, f"PTCR number {p.ptcr_id}", m.group(0))
        for c in [c.strip() for c in m.group(3).split(",")]:
            if c not in COUNTRY_ISO3:
                raise _fail(i + 1, "a known country", c)
            p.countries.append(COUNTRY_ISO3[c])
        j = next((j for j in range(i + 1, end) if lines[j].startswith("Species:")), None)
        if j is None:
            raise _fail(i + 2, "a 'Species:' line in the section", lines[i + 1])
        p.species_line = j + 1
        for item in _clean(lines[j].split(":", 1)[1]).split(", "):
            q = re.match(r"^(.+?) \((.+)\)$", item)
            name = q.group(1) if q else item
            p.species_common.append(name)
            if q:
                p.qualifiers[name] = q.group(2)
        for k in range(j + 1, end):
            t = lines[k]
            if re.match(r"^\d+\.\d+\t", t):
                break
            if not t.strip() or t.startswith("Activities to be implemented"):
                continue
            p.instruments.append(_clean(t))
            p.instrument_lines.append(k + 1)


# --------------------------------------------------------------------------- Annex
def _parse_annex(lines: list[str], ptcrs: list[PTCR]) -> None:
    by_name = {p.name: p for p in ptcrs}
    by_name["Aralkum / North-Western Kyzylkum Desert"] = by_name[
        "Aralkum/North-Western Kyzylkum Desert"]
    start = next(i for i, t in enumerate(lines) if t.startswith("Annex to CAMI WP"))
    section = ""
    seen = 0
    for i in range(start, len(lines)):
        t = lines[i].strip()
        if re.match(r"^\d\. ", t):
            section = t[:2]
            continue
        if not t.startswith("- "):
            continue
        t = t[2:].rstrip(";.").removesuffix("; and").removesuffix(" and").rstrip(";")
        hit: PTCR | None = None
        if section == "1.":
            m = (re.match(r"^(?:The )?(.+?) was renamed (.+?)(?:,| to reflect|$)", t)
                 or re.match(r"^(.+?) was expanded .*?was thus renamed (.+)$", t)
                 or re.match(r"^(.+?) were merged into one PTCR named (.+)$", t))
            if not m or m.group(2).strip() not in by_name:
                raise _fail(i + 1, "'X was renamed <PTCR>' / 'merged into one PTCR named'", t)
            hit = by_name[m.group(2).strip()]
            olds = re.split(r",\s*|\s+and\s+", m.group(1))
            hit.former_names += [o.strip() for o in olds if o.strip()]
            hit.changes.append(f"Annex 1 (renaming): {t}")
        elif section == "2.":
            m = re.match(r"^(.+?) (?:to include|boundaries were extended)", t)
            if not m or m.group(1) not in by_name:
                raise _fail(i + 1, "'<PTCR> to include ...' (expansion)", t)
            hit = by_name[m.group(1)]
            hit.changes.append(f"Annex 2 (expansion): {t}")
        elif section == "3.":
            m = re.match(r"^(.+?) (?:covers|is a|was added)", t)
            if not m:
                raise _fail(i + 1, "'<PTCR> covers / is a / was added' (new PTCR)", t)
            name = m.group(1)
            hit = by_name.get(name) or (by_name["Gobi"] if name == "South Gobi" else None)
            if hit is None:
                raise _fail(i + 1, "a new PTCR of the list", t)
            hit.changes.append(f"Annex 3 (new PTCR): {t}")
        else:
            continue
        hit.annex_lines.append(i + 1)
        seen += 1
    if seen != 13:
        raise WPParseError(f"{WP_FILE}: the Annex has {seen} change items, expected 13 "
                           "(7 renamings, 3 expansions, 3 additions)")


def parse_work_programme(path: Path | None = None) -> WorkProgramme:
    """Parse the WP seed into PTCRs, Table 1 species and Range States (with line numbers)."""
    import hashlib

    path = path or seed_path(WP_FILE)
    lines = read_lines(path)
    ptcrs = _parse_list(lines)
    species = _parse_table1(lines)
    states, states_line = _parse_range_states(lines)
    _parse_sections(lines, ptcrs)
    _parse_annex(lines, ptcrs)
    for p in ptcrs:  # every listed species must be a Table 1 species
        for common in p.species_common:
            match_species(common, species)
    return WorkProgramme(ptcrs, species, states, states_line,
                         hashlib.sha256(path.read_bytes()).hexdigest())


@functools.lru_cache(maxsize=8)
def _seed_lines(name: str) -> tuple[str, ...]:
    return tuple(read_lines(seed_path(name)))


def find_lines(term: str, files: tuple[str, ...] = SEED_FILES) -> list[tuple[str, int]]:
    """``(seed file, line)`` of every line containing ``term`` (case-insensitive)."""
    out = []
    needle = term.casefold()
    for name in files:
        for n, text in enumerate(_seed_lines(name), start=1):
            if needle in text.casefold():
                out.append((name, n))
    return out


def cite(hits: list[tuple[str, int]], *, limit: int = 4) -> str:
    """``000_….txt L12, L40; 003_….txt L5`` (at most ``limit`` lines per file)."""
    by_file: dict[str, list[int]] = {}
    for f, n in hits:
        by_file.setdefault(f, []).append(n)
    parts = []
    for f, ns in by_file.items():
        more = f" (+{len(ns) - limit})" if len(ns) > limit else ""
        parts.append(f"{f} " + ", ".join(f"L{n}" for n in ns[:limit]) + more)
    return "; ".join(parts)
