"""The source catalogue's titles, owners, column and fact titles read in English (catalogue_labels);
the legal basis is the law's text and stays as written."""

import re

import pytest
from django.test import Client
from django.utils import translation

from safetynet.core.roles import Role
from safetynet.core.testing import make_user
from safetynet.sources.catalogue import catalogue
from safetynet.sources.catalogue_labels import CADENCES, LABELS

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_source_column_and_fact_has_an_english_label():
    sources = catalogue().values()
    words = {w for s in sources for w in (s.title, s.owner, *(c.title for c in s.columns), *(f.title for f in s.facts))}
    assert words - {""} <= set(LABELS) and {s.cadence for s in sources} <= set(CADENCES)
    with translation.override("en"):
        english = [x for s in sources for x in (s.label, s.owner_label, s.cadence_label, *(c.label for c in s.columns),
                                                 *(f.label for f in s.facts))]
    assert not [e for e in english if HAN.search(e)], english
    with translation.override("zh-hans"):
        assert (catalogue()["hukou_deaths"].label, catalogue()["hukou_deaths"].cadence_label) == ("户籍注销(死亡)", "每日")


@pytest.mark.django_db
def test_the_source_pages_read_in_english(tree):
    client = Client()
    client.force_login(make_user(Role.ADMIN, tree.city))
    client.cookies["django_language"] = "en"
    listing = client.get("/sources/").content.decode()
    assert "Hukou cancellations (deaths)</a>" in listing and "Bank deposits</a>" in listing
    assert "Public security bureau / funeral administration" in listing and "公安机关/殡葬管理机构" not in listing
    assert "Update frequency: daily" in listing
    assert "《社会救助暂行办法》第五十六条" in listing  # the legal basis, as written
    detail = client.get("/sources/hukou_deaths/").content.decode()
    assert "<h1>Hukou cancellations (deaths)" in detail and "<strong>Date of death</strong>" in detail
    assert "Deceased: flag / deceased" in detail and "死亡日期" not in detail
    # and in Chinese the cadence reads as a word too, not as the YAML's code
    client.cookies["django_language"] = "zh-hans"
    assert "更新频率：每日" in client.get("/sources/").content.decode()
