"""Tests for camigeo.species: the CMS/IUCN synonym table and name resolution."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from camigeo import CamigeoError, UnknownSpeciesError
from camigeo.datasets.bundled import get_path
from camigeo.datasets.species import resolve_species, species_names, species_table

#: The CMS / IUCN name pairs of the paragraph under Table 1 of the Work Programme (seed 000
#: L82), plus the other names the seeds use for the saiga (004 L99-L156) and the Bukhara
#: deer (003 L18).
WP_SYNONYM_PAIRS = [
    ("Uncia uncia", "Panthera uncia"),
    ("Camelus bactrianus", "Camelus ferus"),
    ("Equus ferus przewalskii", "Equus ferus"),
    ("Felis manul", "Otocolobus manul"),
    ("Saiga spp.", "Saiga tatarica tatarica"),
    ("Saiga spp.", "Saiga tatarica mongolica"),
    ("Saiga spp.", "Saiga tatarica"),
    ("Saiga spp.", "Saiga borealis"),
    ("Cervus elaphus yarkandensis", "Cervus hanglu bactrianus"),
    ("Cervus elaphus yarkandensis", "Cervus elaphus bactrianus"),
]

#: The 17 species of Table 1 of the Work Programme by common name, as printed (L64-L80).
CAMI_COMMON = ["Argali", "Asiatic cheetah", "Asiatic wild ass", "Bukhara deer", "Eurasian lynx",
               "Gobi bear", "Goitered gazelle", "Kiang", "Mongolian gazelle", "Pallas' cat",
               "Persian leopard", "Przewalski's horse", "Saiga antelope", "Snow leopard",
               "Urial", "Wild camel", "Wild yak"]

#: Names the PTCR ``Species:`` lines and activities of the WP use (L263-L446), with the
#: Table 1 row they mean; the full set is checked against the seed in test_seeds_drift.py.
WP_TEXT_NAMES = [("lynx", "Lynx lynx"), ("Pallas's cat", "Felis manul"),
                 ("saiga", "Saiga spp."), ("urial", "Ovis vignei"),
                 ("kulan", "Equus hemionus"), ("cheetah", "Acinonyx jubatus"),
                 ("Persian Leopard", "Panthera pardus tulliana"),
                 ("goitered gazelle", "Gazella subgutturosa"), ("argali", "Ovis ammon"),
                 ("wild yak", "Bos grunniens"),
                 # CMS names the bundled table used before issue 12, kept as synonyms
                 ("Lynx lynx isabellinus", "Lynx lynx"),
                 ("Panthera pardus saxicolor", "Panthera pardus tulliana")]


def test_table_has_the_17_species_with_schema_columns():
    df = species_table()
    assert list(df.columns) == ["common_name", "cms_name", "cms_appendix", "iucn_name",
                                "synonyms", "group", "migratory_ungulate", "iucn_category",
                                "source", "notes"]
    assert len(df) == 17
    assert df["cms_name"].is_unique
    assert sorted(df["common_name"], key=str.lower) == sorted(CAMI_COMMON, key=str.lower)
    assert set(df["group"]) == {"ungulate", "carnivore"}
    assert df["migratory_ungulate"].dtype == bool
    # only ungulates can be migratory ungulates
    assert not (df["migratory_ungulate"] & (df["group"] != "ungulate")).any()
    # appendices as Table 1 prints them ("App. I & II" for the Bukhara deer, L67)
    assert set(df["cms_appendix"]) == {"I", "II", "I & II"}
    app = dict(zip(df["cms_name"], df["cms_appendix"], strict=True))
    assert app["Cervus elaphus yarkandensis"] == "I & II"
    assert app["Ursus arctos isabellinus"] == "II"
    assert app["Lynx lynx"] == "II" and app["Panthera pardus tulliana"] == "II"
    assert (df["source"].str.len() > 0).all()
    assert species_names() == df["cms_name"].tolist()


def test_table_is_a_copy():
    df = species_table()
    df.loc[0, "cms_name"] = "changed"
    assert species_table().loc[0, "cms_name"] != "changed"


@pytest.mark.parametrize(("cms", "iucn"), WP_SYNONYM_PAIRS)
def test_work_programme_synonym_pairs(cms, iucn):
    assert resolve_species(iucn) == cms
    assert resolve_species(cms) == cms


@pytest.mark.parametrize("common", CAMI_COMMON)
def test_every_common_name_resolves_to_its_row(common):
    df = species_table().set_index("common_name")
    assert resolve_species(common) == df.loc[common, "cms_name"]


@pytest.mark.parametrize(("name", "cms"), WP_TEXT_NAMES)
def test_names_used_in_the_work_programme_text_resolve(name, cms):
    assert resolve_species(name) == cms


def test_saiga_has_the_two_iucn_names_of_the_work_programme():
    from camigeo.validate import split_list

    row = species_table().set_index("cms_name").loc["Saiga spp."]
    assert split_list(row["iucn_name"]) == ["Saiga tatarica tatarica", "Saiga tatarica mongolica"]


def test_every_listed_name_resolves_to_its_own_row():
    from camigeo.io.validate import split_list

    for rec in species_table().itertuples():
        for name in [rec.cms_name, *split_list(rec.iucn_name), *split_list(rec.synonyms)]:
            assert resolve_species(name) == rec.cms_name, name


@pytest.mark.parametrize(("name", "expected"), [
    ("PANTHERA UNCIA", "Uncia uncia"),
    ("  snow   leopard ", "Uncia uncia"),
    ("khulan", "Equus hemionus"),
    ("Kulan", "Equus hemionus"),
    ("pallas cat", "Felis manul"),
    ("Pallas’s cat", "Felis manul"),
    ("przewalskis-horse", "Equus ferus przewalskii"),
    ("takhi", "Equus ferus przewalskii"),
    ("wild_yak", "Bos grunniens"),
    ("Bos mutus", "Bos grunniens"),
])
def test_case_space_and_punctuation_insensitive(name, expected):
    assert resolve_species(name) == expected


def test_unknown_name_suggests_closest():
    with pytest.raises(UnknownSpeciesError, match=r"unknown species 'snow leoprd'.*"
                       r"Did you mean 'Snow leopard' \(Uncia uncia\)"):
        resolve_species("snow leoprd")


def test_unknown_partial_name_suggests_candidates():
    with pytest.raises(UnknownSpeciesError, match=r"'Persian leopard' \(Panthera pardus"):
        resolve_species("leopard")


def test_unknown_name_without_match():
    with pytest.raises(UnknownSpeciesError, match=r"'quokka'.*No close match.*species_table"):
        resolve_species("quokka")


def test_unknown_species_error_is_a_keyerror_and_camigeoerror():
    with pytest.raises(KeyError):
        resolve_species("dodo")
    with pytest.raises(CamigeoError):
        resolve_species("dodo")


def test_non_string_name():
    with pytest.raises(CamigeoError, match=r"species name must be a str.*got int 5"):
        resolve_species(5)  # type: ignore[arg-type]


def test_conflicting_synonym_in_a_user_table(tmp_path, monkeypatch):
    folder = tmp_path / "species_ranges"
    folder.mkdir()
    df = pd.read_csv(get_path("species"), dtype=str, keep_default_na=False)
    df.loc[df["cms_name"] == "Ovis ammon", "synonyms"] += "; Panthera uncia"
    df.to_csv(folder / "species.csv", index=False)
    monkeypatch.setenv("CAMIGEO_DATA_DIR", str(tmp_path))
    with pytest.raises(CamigeoError, match=r"'Panthera uncia' is listed for both"):
        resolve_species("argali")


def test_user_table_missing_column(tmp_path, monkeypatch):
    folder = tmp_path / "species_ranges"
    folder.mkdir()
    shutil.copy(get_path("species"), folder / "species.csv")
    df = pd.read_csv(folder / "species.csv", dtype=str).drop(columns=["iucn_name"])
    df.to_csv(folder / "species.csv", index=False)
    monkeypatch.setenv("CAMIGEO_DATA_DIR", str(tmp_path))
    with pytest.raises(CamigeoError, match=r"species table lacks column\(s\) iucn_name"):
        species_table()
