"""axe-core on every page: each role of the demo city signs in and opens every page its navigation
offers, then one of each kind of detail page those pages link to (household, person, case, alert,
report, batch, referral, roll, finding, complaint …), and the public pages without signing in; at
1280 px and at 360 px (the same page resized, so each page loads once). 0 violations, contrast and
heading order included.

Bounded (it runs twice in CI): one browser, one tab per role, each page loaded once and checked at
both widths. Every role opens every page of its own navigation (what a page offers depends on the
role); a detail page already checked for one staff role (or applicant) is not opened again for the
next.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from safetynet.accounts.models import User
from safetynet.demo.services import DEMO_PASSWORD
from safetynet.portal.services import complaint_file
from safetynet.web.testing_axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

SELF_SERVICE = ("citizen", "proxy")
ROLES = ("citizen", "proxy", "community-worker", "street-officer", "county-approver", "verification-centre",
         "provider", "data-provider", "supervisor", "analyst", "admin")

#: The kinds of detail page reached from the lists: one of each per role is opened.
DETAIL = {
    "household": r"^/households/\d+/$",
    "person": r"^/persons/\d+/$",
    "region": r"^/regions/\d+/$",
    "case": r"^/cases/\d+/$",
    "progress": r"^/cases/\d+/progress/$",
    "alert": r"^/monitoring/alerts/\d+/$",
    "picture": r"^/monitoring/households/\d+/$",
    "checks": r"^/verification/households/\d+/$",
    "report": r"^/verification/reports/\d+/$",
    "source": r"^/sources/[a-z_]+/$",
    "batch": r"^/sources/batches/[^/]+/$",
    "linkage": r"^/sources/batches/[^/]+/linkage-model/$",
    "referral": r"^/resources/households/\d+/$",
    "roll": r"^/payments/rolls/\d+/$",
    "finding": r"^/supervision/anomalies/\d+/$",
    "recovery": r"^/supervision/recovery/\d+/$",
    "complaint": r"^/public/staff/complaints/\d+/$",
    "complaint-statistics": r"^/public/staff/complaints/statistics/$",
}
PUBLIC = ("/public/", "/public/self-check/", "/public/policy/", "/public/complaints/new/",
          "/public/complaints/track/", "/public/transparency/", "/public/transparency/notices/",
          "/public/open-data/", "/login/", "/no-such-page/")


def _kind(path: str) -> str | None:
    return next((k for k, pattern in DETAIL.items() if re.match(pattern, path)), None)


def check_both_widths(page, label: str, found: list[dict]) -> None:
    """axe at 1280 px, then the same page at 360 px; every violation is kept with where it was."""
    page.wait_for_load_state()
    for size in (WIDE, PHONE):
        page.set_viewport_size(size)
        for v in axe_violations(page):
            found.append({"page": label, "width": size["width"], **v})
        if size is PHONE:
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > PHONE["width"]:
                found.append({"page": label, "width": 360, "id": "horizontal-scroll", "nodes": 1,
                              "help": f"page is {wide} px wide", "targets": []})


def _links(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('main a[href]'))
        .map(a => new URL(a.href, location.href)).filter(u => u.origin === location.origin)
        .map(u => u.pathname)""")


def crawl(browser, base_url: str, *, login, roles=ROLES, password: str = DEMO_PASSWORD) -> tuple[list[dict], list[str]]:
    """Visit every page as described above; returns (violations, pages visited)."""
    found: list[dict] = []
    visited: list[str] = []
    seen: set = set()
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.set_default_navigation_timeout(30_000)
    page = context.new_page()

    def visit(path: str, label: str) -> list[str]:
        response = page.goto(base_url + path)
        assert response is not None and response.status < 500, (label, path, response and response.status)
        visited.append(label)
        links = _links(page)
        check_both_widths(page, label, found)
        page.set_viewport_size(WIDE)
        return links

    for path in PUBLIC:
        visit(path, f"public {path}")
        seen.add(path)
    context.close()

    for role in roles:
        audience = "self" if role in SELF_SERVICE else "staff"
        context = browser.new_context(viewport=WIDE, locale="zh-CN")
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        page = context.new_page()
        login(page, f"demo-{role}", password)
        nav = page.evaluate("""() => Array.from(document.querySelectorAll('nav.site-nav a'))
            .map(a => new URL(a.href).pathname)""")
        links = visit("/", f"{role} 工作台")
        kinds: dict[str, str] = {}
        for path in nav:
            if path == "/":
                continue
            for link in visit(path, f"{role} {path}"):
                kind = _kind(link)
                if kind and kind not in kinds:
                    kinds[kind] = link
        for link in links:
            kind = _kind(link)
            if kind and kind not in kinds:
                kinds[kind] = link
        queue = list(kinds.items())
        while queue:
            kind, path = queue.pop(0)
            if (path, audience) in seen:
                continue
            seen.add((path, audience))
            for link in visit(path, f"{role} {kind} {path}"):
                # one level further: a household's picture, a case's report, a batch's linkage model
                k = _kind(link)
                if k and k not in kinds:
                    kinds[k] = link
                    queue.append((k, link))
        context.close()
    return found, visited


@pytest.fixture
def demo_city(transactional_db, settings, tmp_path):
    settings.LAKE_DIR = tmp_path / "lake"
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", households=120, seed=1, no_serve=True, verbosity=0)
    # a complaint waiting in the street's queue (the demo city files none)
    worker = User.objects.select_related("region").get(username="demo-community-worker")
    complaint_file(category="delay", region_code=worker.region.code, subject="申请两周没有受理",
                   body="两周前在社区提交低保申请，至今没有受理。", anonymous=True)


def test_axe_finds_nothing_on_any_page_of_any_role(live_server, browser, browser_login, demo_city):
    found, visited = crawl(browser, live_server.url, login=browser_login)
    folder = os.environ.get("SAFETYNET_JOURNEY_LOG")
    if folder:  # the pages and totals, for the notes (as the journeys keep theirs)
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "axe-every-page.json").write_text(json.dumps(
            {"pages": len(visited), "checks": 2 * len(visited), "axe_violations": len(found), "visited": visited,
             "details": found}, ensure_ascii=False, indent=1))
    # every kind of page was reached, so a page nobody opens cannot hide a violation
    reached = " ".join(visited)
    for kind in ("household", "person", "case", "alert", "picture", "report", "batch", "referral", "roll",
                 "finding", "complaint"):
        assert f" {kind} " in reached, kind
    assert not found, found
