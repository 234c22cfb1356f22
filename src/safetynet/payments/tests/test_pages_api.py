import base64
import json

from django.test import Client
from django.utils import timezone

from safetynet.audit.models import AuditEvent
from safetynet.core.testing import Role, make_user
from safetynet.payments import bankfiles
from safetynet.payments.models import PaymentLine, RollStatus
from safetynet.payments.tests.conftest import active_case


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _month():
    return timezone.now().strftime("%Y-%m")


def test_finance_pages_walk_a_roll_and_mask_accounts(tree, staff, finance, lake, django_assert_max_num_queries):
    active_case(tree, staff, account="6222020000001234")
    maker, checker = _client(finance.maker), _client(finance.checker)
    r = maker.post("/payments/generate/", {"month": _month(), "programme": "dibao", "region": tree.east.pk})
    assert r.status_code == 302 and "/payments/rolls/" in r["Location"]
    roll_url = r["Location"]
    with django_assert_max_num_queries(30):
        page = maker.get(roll_url).content.decode()
    assert "6222 **** **** 1234" in page and "6222020000001234" not in page
    maker.post(roll_url + "step/", {"step": "submit"})
    # the maker sees no approve button; the checker approves
    assert 'value="approve"' not in maker.get(roll_url).content.decode()
    checker.post(roll_url + "step/", {"step": "approve"})
    maker.post(roll_url + "step/", {"step": "export", "format": "fixed"})
    page = maker.get(roll_url).content.decode()
    assert "已生成银行代发文件" in page and "各项合计一致" in page
    line = PaymentLine.objects.get()
    assert line.roll.status == RollStatus.EXPORTED
    f = line.roll.bank_files.get()
    download = maker.get(f"/payments/files/{f.pk}/")
    assert download.status_code == 200 and bankfiles.parse_fixed(download.content)[2] == 50000
    assert AuditEvent.objects.filter(action="payments.bank_file_read", actor=finance.maker.username).count() == 1
    assert _client(staff.supervisor).get(f"/payments/files/{f.pk}/").status_code == 403
    # a street officer may not open finance pages
    assert _client(staff.street).get(roll_url).status_code == 403


def test_api_generate_approve_export_and_return(tree, staff, finance, lake):
    active_case(tree, staff)
    maker, checker = _client(finance.maker), _client(finance.checker)
    r = maker.post("/api/v1/payments/rolls", json.dumps({"month": _month(), "programme": "dibao",
                                                        "region_id": tree.east.pk}), content_type="application/json")
    assert r.status_code == 201 and r.json()["lines"] == 1 and r.json()["total_fen"] == 50000
    roll_id = r.json()["id"]
    assert maker.post(f"/api/v1/payments/rolls/{roll_id}/approve").json()["code"] == "payments.roll_state"
    maker.post(f"/api/v1/payments/rolls/{roll_id}/submit")
    r = maker.post(f"/api/v1/payments/rolls/{roll_id}/approve")
    assert (r.status_code, r.json()["code"]) == (403, "payments.same_maker_checker")
    assert checker.post(f"/api/v1/payments/rolls/{roll_id}/approve").json()["status"] == "approved"
    (f,) = maker.post(f"/api/v1/payments/rolls/{roll_id}/export", json.dumps({"format": "delimited"}),
                      content_type="application/json").json()
    line = PaymentLine.objects.get()
    content = bankfiles.render_return(bank_file_name=f["filename"], results=[(line.reference, True, "", "")],
                                      amounts={line.reference: 50000})
    r = maker.post(f"/api/v1/payments/bank-files/{f['id']}/returns",
                   json.dumps({"content_base64": base64.b64encode(content).decode()}), content_type="application/json")
    assert (r.status_code, r.json()["paid_fen"]) == (201, 50000)
    rec = maker.get(f"/api/v1/payments/rolls/{roll_id}/reconciliation").json()
    assert rec["balanced"] and rec["paid_fen"] == rec["lines_fen"] == 50000
    # another county's approver sees nothing
    west = _client(make_user(Role.COUNTY_APPROVER, tree.west))
    assert west.get(f"/api/v1/payments/rolls/{roll_id}").status_code == 404


def test_a_failed_line_is_corrected_and_reissued_from_the_roll_page(tree, staff, finance, lake):
    active_case(tree, staff, account="6222020000001234")
    maker, checker = _client(finance.maker), _client(finance.checker)
    roll_url = maker.post("/payments/generate/", {"month": _month(), "programme": "dibao",
                                                  "region": tree.east.pk})["Location"]
    maker.post(roll_url + "step/", {"step": "submit"})
    checker.post(roll_url + "step/", {"step": "approve"})
    maker.post(roll_url + "step/", {"step": "export", "format": "delimited"})
    line = PaymentLine.objects.get()
    f = line.roll.bank_files.get()
    content = bankfiles.render_return(bank_file_name=f.filename, results=[(line.reference, False, "E01", "")],
                                      amounts={line.reference: 50000})
    maker.post(f"/payments/files/{f.pk}/return/", {"file": _upload(content)})
    assert "账户已销户" in maker.get(roll_url).content.decode()
    maker.post(f"{roll_url}lines/{line.pk}/", {"step": "reissue", "bank": "ABC", "account_number": "6228480000005678",
                                               "note": "已更换农行卡"})
    reissue = PaymentLine.objects.get(reissue_of=line)
    assert (reissue.account.masked, reissue.amount_fen, reissue.roll.sequence) == ("6228 **** **** 5678", 50000, 2)
    assert "各项合计一致" in maker.get(roll_url).content.decode()


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("return.txt", content, content_type="text/plain")
