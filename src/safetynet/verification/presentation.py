"""Words and formats shared by the report page and the PDF."""

from django.utils.translation import gettext_lazy as _

KIND_TITLES = {"income": _("收入"), "asset": _("财产"), "flag": _("状况"), "deduction": _("刚性支出")}

CATEGORY_TITLES = {
    "wages": _("工资性收入"),
    "pensions": _("养老金"),
    "unemployment_benefit": _("失业保险金"),
    "business_income": _("经营净收入"),
    "property_income": _("财产净收入"),
    "transfers": _("转移性收入"),
    "deposits": _("银行存款"),
    "wealth_products": _("理财产品"),
    "securities": _("证券"),
    "vehicles": _("机动车"),
    "real_estate": _("房产"),
    "business": _("市场主体"),
    "housing_fund": _("住房公积金"),
    "deceased": _("已死亡"),
    "imprisoned": _("服刑"),
    "public_payroll": _("财政供养"),
    "disability": _("持证残疾"),
    "unemployed": _("登记失业"),
    "staff": _("民政工作人员"),
    "duplicate_membership": _("重复家庭成员"),
    "medical_out_of_pocket": _("医疗自付"),
    "education": _("教育支出"),
}


def money(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):,.2f}"
