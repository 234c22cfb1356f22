"""The case pages through the Django test client: queue, case page, moves, bulk, progress."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safetynet.cases.models import Case, CaseTransition, Channel, Status
from safetynet.cases.tests.conftest import drive_to_active, head_of, make_report, submit
from safetynet.core.testing import Role, make_household, make_user

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_queue_lists_overdue_first_then_by_deadline_with_a_badge(client, staff, tree, django_assert_max_num_queries):
    # given three submitted cases: due in 3 days, overdue by 2 days, due tomorrow
    now = timezone.now()
    cases = [submit(make_household(tree.east_community), staff.worker) for _ in range(3)]
    for case, delta in zip(cases, (3, -2, 1), strict=True):
        Case.objects.filter(pk=case.pk).update(due_at=now + dt.timedelta(days=delta))
    login(client, staff.street)
    # when
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:workbench"))
    # then
    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert [c.pk for c in rows] == [cases[1].pk, cases[2].pk, cases[0].pk]
    html = response.content.decode()
    assert html.count('data-testid="overdue"') == 1
    assert "最低生活保障" in html and "已提交" in html


def test_queue_query_count_does_not_grow_with_rows(client, staff, tree, django_assert_max_num_queries):
    for _ in range(15):
        submit(make_household(tree.east_community), staff.worker)
    login(client, staff.street)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("cases:workbench"), {"programme": "dibao", "status": "submitted"})
    assert len(response.context["page"].object_list) == 15


def test_neighbouring_region_officer_gets_404_on_a_case_page(client, staff, household):
    case = submit(household, staff.worker)
    login(client, staff.west_street)
    response = client.get(reverse("cases:case", args=[case.pk]))
    assert response.status_code == 404
    assert household.number not in response.content.decode()


def test_case_page_shows_timeline_actions_and_no_fake_rules_figure(client, staff, household):
    case = submit(household, staff.worker, description="老人独居，无收入")
    login(client, staff.street)
    response = client.get(reverse("cases:case", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert [a.to for a in response.context["actions"]] == [Status.ACCEPTED, Status.NOT_ACCEPTED]
    assert "尚未核算" in html
    assert "老人独居，无收入" in html  # the filing reason is on the timeline
    assert f'href="/verification/households/{household.pk}/"' in html


def test_illegal_move_via_post_shows_the_chinese_error_and_changes_nothing(client, staff, household):
    # given a submitted case
    case = submit(household, staff.worker)
    login(client, staff.street)
    # when the street officer tries to approve it straight away
    response = client.post(reverse("cases:move", args=[case.pk]),
                           {"to": Status.APPROVED, "version": case.version, "amount": "500"})
    # then
    assert response.status_code == 409
    assert "不能转到“已批准”" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert CaseTransition.objects.filter(case=case).count() == 1


def test_adverse_move_without_reason_is_refused_in_place(client, staff, household):
    case = submit(household, staff.worker)
    login(client, staff.street)
    response = client.post(reverse("cases:move", args=[case.pk]), {"to": Status.NOT_ACCEPTED, "version": case.version})
    assert response.status_code == 400
    assert "须填写理由" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_stale_click_is_refused_with_a_clear_message(client, staff, household):
    case = submit(household, staff.worker)
    login(client, staff.street)
    stale = case.version
    client.post(reverse("cases:move", args=[case.pk]), {"to": Status.ACCEPTED, "version": stale})
    # when the same (now stale) form is sent again, e.g. from a second tab
    response = client.post(reverse("cases:move", args=[case.pk]), {"to": Status.NOT_ACCEPTED, "version": stale,
                                                                  "reason": "材料不全"})
    # then
    assert response.status_code == 409
    assert "已被他人办理" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_accept_redirects_back_and_records_the_move(client, staff, household):
    case = submit(household, staff.worker)
    login(client, staff.street)
    response = client.post(reverse("cases:move", args=[case.pk]), {"to": Status.ACCEPTED, "version": case.version})
    assert response.status_code == 302 and response["Location"] == reverse("cases:case", args=[case.pk])
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    page = client.get(response["Location"]).content.decode()
    assert "已办理：已受理" in page


def _at_home_visit(household, staff):
    from safetynet.cases import services

    case = submit(household, staff.worker)
    services.case_accept(case_id=case.pk, actor=staff.street)
    services.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=staff.street)
    make_report(case.household)
    services.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=staff.street)
    return case


def test_visit_form_records_structured_findings_and_moves_to_review(client, staff, household):
    case = _at_home_visit(household, staff)
    login(client, staff.worker)
    response = client.post(reverse("cases:visit", args=[case.pk]), {
        "visited_on": timezone.localdate().isoformat(), "met": "申请人本人", "met_name": "王某",
        "housing": "简陋", "labour": "无", "members_match": "一致", "assets": "有", "assets_seen": "电动车、冰箱",
        "income_match": "未核实", "notes": "独居", "complete": "on",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REVIEW
    visit = case.visits.get()
    assert visit.findings == {"met": "申请人本人", "met_name": "王某", "housing": "简陋", "labour": "无",
                              "members_match": "一致", "assets": "有", "assets_seen": ["电动车", "冰箱"],
                              "income_match": "未核实"}


def test_visit_form_starts_empty_and_nothing_is_saved_without_the_findings(client, staff, household):
    # given a case at the home visit, the worker opens it
    case = _at_home_visit(household, staff)
    login(client, staff.worker)
    html = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    form = html[html.index('data-testid="visit-form"'):html.index("</form>", html.index('data-testid="visit-form"'))]
    # then no choice is made and no date filled in for them
    assert " checked" not in form
    assert 'name="visited_on" ' in form and 'value="' + timezone.localdate().isoformat() not in form
    # when they submit it with only the date and one finding
    response = client.post(reverse("cases:visit", args=[case.pk]), {
        "visited_on": timezone.localdate().isoformat(), "housing": "简陋", "assets": "有", "complete": "on"})
    # then nothing is recorded, the case stays, and each missing finding says so at its field
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-labour"' in html and "无法确认请选“未核实”" in html
    assert 'data-testid="error-met"' in html and 'data-testid="error-assets_seen"' in html
    assert 'data-testid="error-housing"' not in html
    case.refresh_from_db()
    assert case.status == Status.HOME_VISIT and not case.visits.exists()


def test_visit_photo_is_validated_like_every_attachment(client, staff, household):
    case = _at_home_visit(household, staff)
    login(client, staff.worker)
    fields = {"visited_on": timezone.localdate().isoformat(), "met": "无人在家", "housing": "未核实",
              "labour": "未核实", "members_match": "未核实", "assets": "未核实", "income_match": "未核实"}
    # a text file posing as a photo is refused at the field and nothing is recorded
    fake = SimpleUploadedFile("photo.jpg", b"not an image", content_type="image/jpeg")
    good = SimpleUploadedFile("front.png", b"\x89PNG\r\n\x1a\n" + b"1" * 64, content_type="image/png")
    response = client.post(reverse("cases:visit", args=[case.pk]), {**fields, "photos": [good, fake]})
    assert response.status_code == 400
    assert 'data-testid="error-photos"' in response.content.decode()
    # one bad file among several keeps none of them
    assert not case.visits.exists() and not case.attachments.exists()
    # several real photos and a PDF are all kept with the visit, which stays at the visit step
    files = [SimpleUploadedFile(f"room-{i}.png", b"\x89PNG\r\n\x1a\n" + bytes([48 + i]) * 64, content_type="image/png")
             for i in range(2)] + [SimpleUploadedFile("lease.pdf", b"%PDF-1.4\n" + b"2" * 64, content_type="application/pdf")]
    response = client.post(reverse("cases:visit", args=[case.pk]), {**fields, "photos": files})
    assert response.status_code == 302
    visit = case.visits.get()
    kept = list(case.attachments.order_by("id"))
    assert visit.findings["attachments"] == [a.pk for a in kept]
    assert [a.original_name for a in kept] == ["room-0.png", "room-1.png", "lease.pdf"]
    assert len({a.sha256 for a in kept}) == 3
    case.refresh_from_db()
    assert case.status == Status.HOME_VISIT
    # and the case page lists them under the visit
    html = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    photos = html.split('data-testid="visit-photos"')[1].split("</ul>")[0]
    assert all(name in photos for name in ("room-0.png", "room-1.png", "lease.pdf"))


def test_a_visit_takes_at_most_ten_files(client, staff, household):
    case = _at_home_visit(household, staff)
    login(client, staff.worker)
    fields = {"visited_on": timezone.localdate().isoformat(), "met": "无人在家", "housing": "未核实",
              "labour": "未核实", "members_match": "未核实", "assets": "未核实", "income_match": "未核实"}
    files = [SimpleUploadedFile(f"p{i}.png", b"\x89PNG\r\n\x1a\n" + bytes([i]) * 8, content_type="image/png")
             for i in range(11)]
    response = client.post(reverse("cases:visit", args=[case.pk]), {**fields, "photos": files})
    assert response.status_code == 400 and "一次最多上传 10 个文件" in response.content.decode()
    assert not case.visits.exists() and not case.attachments.exists()


def test_bulk_accept_reports_per_case_results(client, staff, tree, household):
    # given two submitted cases and one already accepted
    a = submit(household, staff.worker)
    b = submit(make_household(tree.east_community), staff.worker)
    c = submit(make_household(tree.east_community), staff.worker)
    login(client, staff.street)
    client.post(reverse("cases:move", args=[c.pk]), {"to": Status.ACCEPTED, "version": c.version})
    # when all three are accepted in bulk
    response = client.post(reverse("cases:bulk"), {"move": "submitted:accepted", "case_ids": [a.pk, b.pk, c.pk]})
    # then two succeed and the third reports why it did not
    assert response.status_code == 200
    results = {r.case_id: r for r in response.context["results"]}
    assert results[a.pk].ok and results[b.pk].ok and not results[c.pk].ok
    assert "不能转到“已受理”" in results[c.pk].message
    assert "成功 2 件，未办理 1 件" in response.content.decode()
    assert set(Case.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("status", flat=True)) == {Status.ACCEPTED}


def test_bulk_refuses_a_move_the_law_does_not_allow_in_bulk(client, staff, household):
    case = submit(household, staff.worker)
    login(client, staff.street)
    response = client.post(reverse("cases:bulk"), {"move": "submitted:not_accepted", "case_ids": [case.pk]})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_breaches_are_grouped_by_programme_and_step(client, staff, tree):
    now = timezone.now()
    late = [submit(make_household(tree.east_community), staff.worker) for _ in range(2)]
    submit(make_household(tree.east_community), staff.worker)  # not late
    Case.objects.filter(pk__in=[c.pk for c in late]).update(due_at=now - dt.timedelta(days=1))
    login(client, staff.supervisor)
    response = client.get(reverse("cases:breaches"))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [(str(p), str(s), len(cs)) for p, s, cs in groups] == [("最低生活保障", "已提交", 2)]


def test_breaches_page_is_refused_to_a_street_officer(client, staff):
    login(client, staff.street)
    assert client.get(reverse("cases:breaches")).status_code == 403


def citizen_of(household):
    return make_user(Role.CITIZEN, None, person=head_of(household))


def test_online_application_makes_one_case_however_often_the_form_is_sent(client, household):
    citizen = citizen_of(household)
    login(client, citizen)
    form = client.get(reverse("cases:apply"))
    key = form.context["form"].initial["idempotency_key"]
    data = {"programme": "dibao", "description": "失业，无收入", "consent": "on", "idempotency_key": key}
    first = client.post(reverse("cases:apply"), data)
    second = client.post(reverse("cases:apply"), data)
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == reverse("cases:progress", args=[case.pk])
    assert (case.channel, case.filed_by, case.applicant) == (Channel.ONLINE, citizen, head_of(household))


def test_online_application_needs_consent(client, household):
    login(client, citizen_of(household))
    response = client.post(reverse("cases:apply"), {"programme": "dibao", "idempotency_key": "k1"})
    assert response.status_code == 400
    assert "须同意授权核对" in response.content.decode()
    assert not Case.objects.exists()


def test_progress_page_says_in_plain_words_where_it_stands_and_what_next(client, staff, household):
    citizen = citizen_of(household)
    case = submit(household, staff.worker)
    drive_to_active(case, staff)
    login(client, citizen)
    response = client.get(reverse("cases:progress", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "您正在享受救助。" in html
    assert "每月救助金 500.00 元" in html
    assert "下次定期复核预计在" in html


def test_refused_progress_page_gives_the_reason_and_how_to_appeal(client, staff, household):
    from safetynet.cases import services

    citizen = citizen_of(household)
    case = submit(household, staff.worker)
    services.case_not_accept(case_id=case.pk, actor=staff.street, reason="户籍不在本街道")
    login(client, citizen)
    html = client.get(reverse("cases:progress", args=[case.pk])).content.decode()
    assert "您的申请未被受理。" in html and "户籍不在本街道" in html
    assert "60日内" in html and "申请复查" in html


def test_a_citizen_cannot_open_someone_elses_case(client, staff, tree, household):
    other = make_household(tree.east_community)
    case = submit(other, staff.worker)
    login(client, citizen_of(household))
    assert client.get(reverse("cases:progress", args=[case.pk])).status_code == 404
    assert client.get(reverse("cases:case", args=[case.pk])).status_code in (302, 404)
    assert client.get(reverse("cases:case", args=[case.pk]), follow=True).status_code == 404


def test_proxy_filing_records_the_mandate_and_files_once(client, staff, household):
    elder = head_of(household)
    login(client, staff.worker)
    url = reverse("cases:proxy") + f"?number={household.number}"
    page = client.get(url)
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    data = {"applicant": elder.pk, "programme": "dibao", "proxy_name": "王社工", "relationship": "社区工作人员",
            "valid_until": (timezone.localdate() + dt.timedelta(days=365)).isoformat(), "description": "老人不会用手机",
            "mandate_seen": "on", "idempotency_key": key}
    first = client.post(url, data)
    second = client.post(url, data)
    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert case.channel == Channel.PROXY and case.proxy_mandate.proxy_name == "王社工"
    assert case.proxy_mandate.grantor == elder
    from safetynet.cases.models import ProxyMandate

    assert ProxyMandate.objects.count() == 1


def test_proxy_lookup_outside_the_region_finds_nothing(client, staff, tree):
    west = make_household(tree.west_community)
    login(client, staff.worker)
    response = client.get(reverse("cases:proxy"), {"number": west.number})
    assert response.status_code == 404
    assert "没有找到符合的家庭" in response.content.decode()


def test_navigation_shows_case_links_per_role(client, staff, household):
    login(client, staff.street)
    assert "/cases/" in client.get("/").content.decode()
    login(client, citizen_of(household))
    html = client.get("/").content.decode()
    assert "/cases/apply/" in html and "我的申请" in html


def test_proxy_filing_finds_the_household_by_a_members_name(client, staff, tree, household):
    other = make_household(tree.east_community)
    login(client, staff.worker)
    # one match by name opens its form at once
    html = client.get(reverse("cases:proxy"), {"number": head_of(household).name}).content.decode()
    assert 'data-testid="proxy-form"' in html and household.number in html
    # a shared surname prefix lists each household to choose from
    prefix = head_of(household).name[:1]
    assert head_of(other).name.startswith(prefix)
    html = client.get(reverse("cases:proxy"), {"number": prefix}).content.decode()
    assert 'data-testid="proxy-found"' in html and f"?number={other.number}" in html
