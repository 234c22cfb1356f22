"""REST endpoints for rolls (/api/v1/payments). Thin: parse, call one service or selector.
Account numbers never leave masked."""

import base64
import datetime as dt

from ninja import Router, Schema
from ninja.pagination import paginate

from safetynet.core.pagination import BoundedLimitOffset
from safetynet.payments import selectors, services

router = Router()


class RollOut(Schema):
    id: int
    number: str
    month: dt.date
    programme: str
    region: str
    sequence: int
    status: str
    made_by_id: int
    approved_by_id: int | None
    lines: int
    held: int
    total_fen: int

    @staticmethod
    def resolve_region(obj) -> str:
        return obj.region.code

    @staticmethod
    def resolve_lines(obj) -> int:
        return getattr(obj, "n_lines", None) or 0

    @staticmethod
    def resolve_held(obj) -> int:
        return getattr(obj, "n_held", None) or 0

    @staticmethod
    def resolve_total_fen(obj) -> int:
        return getattr(obj, "total_fen", None) or 0


class GenerateIn(Schema):
    month: str
    programme: str
    region_id: int


class ExportIn(Schema):
    format: str = "delimited"


class BankFileOut(Schema):
    id: int
    filename: str
    bank: str
    format: str
    lines_count: int
    total_fen: int
    sha256: str


class ReturnIn(Schema):
    content_base64: str


class ReturnOut(Schema):
    id: int
    paid_count: int
    paid_fen: int
    failed_count: int
    failed_fen: int


class LineNoteIn(Schema):
    note: str = ""


class LineOut(Schema):
    id: int
    reference: str
    roll_id: int
    case_id: int
    household_id: int
    kind: str
    period: dt.date
    amount_fen: int
    hold_reason: str
    account: str

    @staticmethod
    def resolve_account(obj) -> str:
        return obj.account.masked if obj.account else ""


@router.get("/rolls", response=list[RollOut], summary="发放名册（仅本辖区）")
@paginate(BoundedLimitOffset)
def roll_list(request):
    return selectors.roll_list_for_user(user=request.user)


@router.get("/rolls/{roll_id}", response=RollOut, summary="发放名册详情")
def roll_detail(request, roll_id: int):
    selectors.roll_get_for_user(user=request.user, roll_id=roll_id)
    return selectors.roll_list_for_user(user=request.user).get(pk=roll_id)


@router.get("/rolls/{roll_id}/reconciliation", response=dict, summary="对账（分）")
def roll_reconciliation(request, roll_id: int):
    return selectors.roll_reconciliation(roll=selectors.roll_get_for_user(user=request.user, roll_id=roll_id))


@router.get("/rolls/{roll_id}/lines", response=list[LineOut], summary="发放明细")
@paginate(BoundedLimitOffset)
def roll_lines(request, roll_id: int):
    return selectors.roll_lines(roll=selectors.roll_get_for_user(user=request.user, roll_id=roll_id))


@router.post("/rolls", response={201: RollOut}, summary="生成月度名册（幂等）")
def roll_generate(request, payload: GenerateIn):
    roll = services.roll_generate(month=services.parse_month(payload.month), programme=payload.programme,
                                  region_id=payload.region_id, actor=request.user)
    return 201, selectors.roll_list_for_user(user=request.user).get(pk=roll.pk)


@router.post("/rolls/{roll_id}/submit", response=RollOut, summary="提交复核")
def roll_submit(request, roll_id: int):
    services.roll_submit(roll_id=roll_id, actor=request.user)
    return selectors.roll_list_for_user(user=request.user).get(pk=roll_id)


@router.post("/rolls/{roll_id}/approve", response=RollOut, summary="复核批准（制表人以外）")
def roll_approve(request, roll_id: int):
    services.roll_approve(roll_id=roll_id, actor=request.user)
    return selectors.roll_list_for_user(user=request.user).get(pk=roll_id)


@router.post("/rolls/{roll_id}/export", response=list[BankFileOut], summary="生成银行代发文件")
def roll_export(request, roll_id: int, payload: ExportIn):
    return services.roll_export(roll_id=roll_id, actor=request.user, file_format=payload.format)


@router.post("/bank-files/{bank_file_id}/returns", response={201: ReturnOut}, summary="导入银行回盘")
def return_import(request, bank_file_id: int, payload: ReturnIn):
    try:
        content = base64.b64decode(payload.content_base64, validate=True)
    except ValueError:
        content = b""
    return 201, services.return_import(bank_file_id=bank_file_id, content=content, actor=request.user)


@router.post("/lines/{line_id}/reissue", response=LineOut, summary="失败明细更正后重发")
def line_reissue(request, line_id: int, payload: LineNoteIn):
    return services.line_reissue(line_id=line_id, note=payload.note, actor=request.user)


class AccountIn(Schema):
    holder_id: int
    bank: str
    account_number: str
    reason: str = ""


class AccountOut(Schema):
    id: int
    household_id: int
    holder_id: int
    bank: str
    masked: str
    opened_on: dt.date


@router.post("/households/{household_id}/accounts", response={201: AccountOut}, summary="登记或更正收款账户（账号只返回脱敏值）")
def account_record(request, household_id: int, payload: AccountIn):
    return 201, services.bank_account_record(household_id=household_id, holder_id=payload.holder_id, bank=payload.bank,
                                             account_number=payload.account_number, reason=payload.reason,
                                             actor=request.user)
