"""What a home visit (入户调查) records: each finding an explicit choice of the visitor's.

Nothing here has a default. A finding the visitor could not establish is recorded as
``未核实`` (not verified), which is itself a choice: a blank is refused, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

NOT_VERIFIED = "未核实"


@dataclass(frozen=True)
class Finding:
    key: str
    label: Any
    #: ``(stored value, shown label)``; the stored value is the Chinese word itself, so a
    #: visit read years later needs no code table.
    choices: tuple[tuple[str, Any], ...]
    #: The plain message when the visitor left it blank.
    missing: Any


FINDINGS: tuple[Finding, ...] = (
    Finding(
        "met",
        _("见到的人"),
        (("申请人本人", _("申请人本人")), ("其他家庭成员", _("其他家庭成员")),
         ("邻居或村（居）委会", _("邻居或村（居）委会")), ("无人在家", _("无人在家"))),
        _("请选择入户时见到的人"),
    ),
    Finding(
        "housing",
        _("住房状况"),
        (("简陋", _("简陋")), ("一般", _("一般")), ("较好", _("较好")), (NOT_VERIFIED, _("未核实"))),
        _("请选择住房状况；无法确认请选“未核实”"),
    ),
    Finding(
        "labour",
        _("家庭成员劳动能力"),
        (("无", _("无劳动能力")), ("部分", _("部分劳动能力")), ("完全", _("有劳动能力")),
         (NOT_VERIFIED, _("未核实"))),
        _("请选择劳动能力；无法确认请选“未核实”"),
    ),
    Finding(
        "members_match",
        _("实际居住人口与申报"),
        (("一致", _("一致")), ("不一致", _("不一致")), (NOT_VERIFIED, _("未核实"))),
        _("请选择实际居住人口是否与申报一致；无法确认请选“未核实”"),
    ),
    Finding(
        "assets",
        _("所见贵重财产（车辆、大额物品等）"),
        (("无", _("未见")), ("有", _("有（请在下面写明）")), (NOT_VERIFIED, _("未核实"))),
        _("请选择是否见到贵重财产；无法确认请选“未核实”"),
    ),
    Finding(
        "income_match",
        _("收入情况与申报"),
        (("一致", _("一致")), ("不一致", _("不一致")), (NOT_VERIFIED, _("未核实"))),
        _("请选择收入情况是否与申报一致；无法确认请选“未核实”"),
    ),
)

BY_KEY: dict[str, Finding] = {f.key: f for f in FINDINGS}

#: Labels of the extra free-text findings kept with the choices.
EXTRA_LABELS: dict[str, Any] = {
    "met_name": _("见到的人姓名"),
    "assets_seen": _("所见贵重财产"),
    "attachments": _("照片/材料"),
}


def findings_problems(findings: Any) -> dict[str, str]:
    """``{finding: plain message}`` for every required finding missing or not one of its choices."""
    if not isinstance(findings, dict):
        return {f.key: str(f.missing) for f in FINDINGS}
    problems = {}
    for f in FINDINGS:
        if findings.get(f.key) not in {value for value, _label in f.choices}:
            problems[f.key] = str(f.missing)
    if findings.get("assets") == "有" and not findings.get("assets_seen"):
        problems["assets_seen"] = str(_("选择“有”时，请写明见到的贵重财产"))
    return problems
