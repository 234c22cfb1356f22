"""The printable verification report (核对报告) as a PDF in Chinese.

The Chinese font is embedded (subset to the characters used), so the report prints the same on a
computer without Chinese fonts: WenQuanYi Micro Hei, a TrueType font from Debian's
``fonts-wqy-microhei`` (``SAFETYNET_PDF_FONT`` names another TrueType file). ReportLab embeds
TrueType outlines only; the Noto CJK fonts are CFF, so they cannot serve here.
"""

from __future__ import annotations

import functools
import io
import os

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safetynet.verification.errors import PdfFontMissing
from safetynet.verification.models import VerificationReport
from safetynet.verification.presentation import CATEGORY_TITLES, KIND_TITLES, money

FONT = "SafetyNetCJK"
FONT_FILE = os.environ.get("SAFETYNET_PDF_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@functools.cache
def _register_font() -> None:
    """Load the font once, on the first report (not at import: a missing font must not stop the
    rest of the platform from starting)."""
    if not os.path.exists(FONT_FILE):
        raise PdfFontMissing(
            _("打印版报告所需的中文字体未安装（%(f)s），请安装 fonts-wqy-microhei") % {"f": FONT_FILE}
        )
    pdfmetrics.registerFont(TTFont(FONT, FONT_FILE, subfontIndex=0))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=15)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=24, alignment=1, spaceAfter=6)
_H2 = ParagraphStyle("h2", parent=_BODY, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=11)


def _table(rows: list[list], widths: list[float]) -> Table:
    table = Table([[Paragraph(str(c), _SMALL) for c in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def report_pdf(report: VerificationReport) -> bytes:
    _register_font()
    body = report.result
    hh = body["household"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=_("家庭经济状况核对报告"))
    story = [
        Paragraph(_("家庭经济状况核对报告"), _TITLE),
        Paragraph(
            _("报告编号：%(id)s　家庭编号：%(hh)s　核对基准日：%(on)s　核对人：%(who)s　事由：%(why)s")
            % {
                "id": report.pk,
                "hh": body["household_number"],
                "on": body["on"],
                "who": report.requested_by,
                "why": report.purpose,
            },
            _BODY,
        ),
        Paragraph(_("核对数据源：%(s)s") % {"s": "、".join(f"{s['title']}（{s['owner']}）" for s in body["sources"])}, _SMALL),
        Paragraph(_("家庭汇总"), _H2),
        _table(
            [
                [_("项目"), _("金额/数量")],
                [_("在户人数"), hh.get("members", "")],
                [_("月收入合计（元）"), money(hh.get("income_total"))],
                [_("刚性支出扣减（元/月）"), money(hh.get("deductions_total"))],
                [_("家庭月人均收入（元）"), money(hh.get("income_per_head"))],
                [_("存款（元）"), money(hh.get("deposits"))],
                [_("理财产品（元）"), money(hh.get("wealth_products"))],
                [_("证券（元）"), money(hh.get("securities"))],
                [_("机动车（辆，不含残疾人专用车）"), hh.get("vehicles_count", 0)],
                [_("房产（套 / 平方米）"), f"{hh.get('real_estate_count', 0)} / {hh.get('real_estate_area', 0)}"],
                [_("存续市场主体（户）"), hh.get("business_count", 0)],
            ],
            [90 * mm, 80 * mm],
        ),
    ]
    standing = body.get("standing") or {}
    if standing.get("explanation"):
        story += [Paragraph(_("对照本地标准"), _H2)]
        story += [Paragraph(line, _BODY) for line in standing["explanation"].splitlines()]
    for member in body["members"]:
        story += [
            Paragraph(f"{member['name']}（{member['relationship']}，{member['id_number']}）", _H2),
        ]
        if not member["facts"]:
            story.append(Paragraph(_("授权数据源中未查见记录。"), _BODY))
            continue
        rows = [[_("类别"), _("项目"), _("金额(元)"), _("来源"), _("批次/行"), _("截至")]]
        for f in member["facts"]:
            rows.append(
                [
                    KIND_TITLES.get(f["kind"], f["kind"]),
                    CATEGORY_TITLES.get(f["category"], f["category"]),
                    money(f["amount"]),
                    f"{f['source_title']}（{f['owner']}）",
                    f"{f['batch_id']} / {f['row']}",
                    f["as_of"] or "",
                ]
            )
        story.append(_table(rows, [16 * mm, 28 * mm, 22 * mm, 46 * mm, 46 * mm, 20 * mm]))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            _("本报告依据家庭签署的授权书（编号 %(a)s）查询，仅用于社会救助审核确认，不得挪作他用。")
            % {"a": report.authorisation_id},
            _SMALL,
        ),
    ]
    doc.build(story)
    return out.getvalue()
