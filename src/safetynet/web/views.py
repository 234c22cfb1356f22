"""The web shell's pages. Each view parses input, calls one selector and renders; access is
decided by the selectors (region scope) and typed errors become pages here."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safetynet.core.errors import ValidationFailed
from safetynet.core.pages import page_view
from safetynet.core.permissions import Action, can, require
from safetynet.regions.errors import RegionNotFound
from safetynet.regions.selectors import (
    region_breadcrumb_for_user,
    region_children,
    region_communities_for_user,
    region_get_for_user,
)
from safetynet.registry.selectors import (
    household_get_for_user,
    household_summaries_for_user,
    person_full_record,
    person_get_for_user,
    person_list_for_user,
    person_memberships,
    person_view,
    registry_counts_by_region_for_user,
)
from safetynet.web import navigation
from safetynet.web.forms import LoginForm
from safetynet.web.services import display_preference_set

PAGE_SIZE = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@page_view
def home(request):
    user = request.user
    context = {"links": navigation.links_for(user), "upcoming": navigation.upcoming_for(user)}
    if navigation.reads_registry(user):
        context["counts"] = registry_counts_by_region_for_user(user=user, regions=[user.region])[
            user.region.code
        ]
    return render(request, "web/home.html", context)


@page_view
def region_browse(request, code: str | None = None):
    user = request.user
    require(user, Action.REGIONS_BROWSE)
    if code is None:
        if user.region_id is None:
            raise RegionNotFound(_("您的账户未绑定行政区划"))
        code = user.region.code
    region = region_get_for_user(user=user, code=code)
    children = list(region_children(region=region))
    # Household and person counts come from the registry: only its readers see them.
    counts = (registry_counts_by_region_for_user(user=user, regions=[region, *children])
              if navigation.reads_registry(user) else {r.code: None for r in [region, *children]})
    return render(
        request,
        "web/regions.html",
        {
            "region": region,
            "breadcrumb": region_breadcrumb_for_user(user=user, region=region),
            "counts": counts[region.code],
            "children": [(child, counts[child.code]) for child in children],
        },
    )


@page_view
def household_list(request):
    user = request.user
    community = request.GET.get("community", "").strip()
    q = request.GET.get("q", "").strip()[:64]
    communities = list(region_communities_for_user(user=user))
    households = household_summaries_for_user(user=user, region_code=community or None, q=q)
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/households.html",
        {"page": page, "communities": communities, "community": community, "q": q},
    )


def _household_actions(user) -> dict[str, bool]:
    """Which of the buttons from a household (or its member) this user may follow."""
    return {
        "proxy": can(user, Action.CASE_PROXY_APPLY),
        "cases": can(user, Action.CASE_QUEUE),
        "alerts": can(user, Action.ALERT_READ),
        "checks": can(user, Action.AUTHORISATION_READ),
    }


@page_view
def household_detail(request, pk: int):
    household = household_get_for_user(user=request.user, household_id=pk)
    memberships = list(household.memberships.all())
    current = [(m, person_view(person=m.person)) for m in memberships if m.left_on is None]
    return render(
        request,
        "web/household.html",
        {"household": household, "current": current, "history": memberships,
         "can_do": _household_actions(request.user)},
    )


@page_view
def person_list(request):
    q = request.GET.get("q", "").strip()
    persons = person_list_for_user(user=request.user, q=q)
    page = Paginator(persons, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [person_view(person=p) for p in page.object_list]
    return render(request, "web/persons.html", {"page": page, "q": q})


@page_view
def person_detail(request, pk: int):
    person = person_get_for_user(user=request.user, person_id=pk)
    return _person_page(request, person_view(person=person))


def _person_page(request, view, *, error: str = "", purpose: str = "", status: int = 200):
    return render(
        request,
        "web/person.html",
        {
            "person": view.person,
            "view": view,
            "memberships": person_memberships(person=view.person),
            "can_do": _household_actions(request.user),
            "error": error,
            "purpose": purpose,
        },
        status=status,
    )


@require_POST
@page_view
def person_reveal(request, pk: int):
    """查看完整信息: with a stated purpose, the unmasked identifiers (the view is audited)."""
    purpose = request.POST.get("purpose", "")
    try:
        view = person_full_record(user=request.user, person_id=pk, purpose=purpose)
        error, status = "", 200
    except ValidationFailed as e:
        view = person_view(person=person_get_for_user(user=request.user, person_id=pk))
        error, status = e.message, 422
    if _is_htmx(request):
        return render(
            request,
            "web/partials/identifiers.html",
            {"view": view, "error": error, "purpose": purpose},
            status=status,
        )
    return _person_page(request, view, error=error, purpose=purpose, status=status)


@require_POST
@page_view
def large_type(request):
    """大字模式 on or off for this account; back to the page it was pressed on."""
    display_preference_set(actor=request.user, large_type=request.POST.get("large") == "1")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:home")
    return redirect(target)
