"""Tests for camigeo.species: the CMS/IUCN synonym table and name resolution."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from camigeo import CamigeoError, UnknownSpeciesError
from camigeo.datasets.bundled import get_path
from camigeo.datasets.species import resolve_species, species_names, species_table

#: The synonym pairs the CAMI Work Programme lists (issue 2): CMS name, IUCN name.
WP_SYNONYM_PAIRS = [
    ("Uncia uncia", "Panthera uncia"),
    ("Camelus bactrianus", "Camelus ferus"),
    ("Equus ferus przewalskii", "Equus ferus"),
    ("Felis manul", "Otocolobus manul"),
    ("Saiga spp.", "Saiga tatarica"),
    ("Saiga spp.", "Saiga tatarica mongolica"),
    ("Saiga spp.", "Saiga borealis"),
    ("Cervus elaphus yarkandensis", "Cervus hanglu bactrianus"),
    ("Cervus elaphus yarkandensis", "Cervus elaphus bactrianus"),
]

#: The 17 species of the Work Programme by common name (domain_methods §2).
CAMI_COMMON = ["argali", "Asiatic cheetah", "Asiatic wild ass", "Bukhara deer", "Eurasian lynx",
               "Gobi bear", "goitered gazelle", "kiang", "Mongolian gazelle", "Pallas's cat",
               "Persian leopard", "Przewalski's horse", "saiga", "snow leopard", "urial",
               "wild camel", "wild yak"]


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
    assert set(df["cms_appendix"]) <= {"I", "II", "I/II"}
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


def test_every_listed_name_resolves_to_its_own_row():
    from camigeo.io.validate import split_list

    for rec in species_table().itertuples():
        for name in [rec.cms_name, rec.iucn_name, *split_list(rec.synonyms)]:
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
                       r"Did you mean 'snow leopard' \(Uncia uncia\)"):
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
