"""The departmental extracts the demo city leaves behind, column by column.

Each source is written raw, as a department would send it, to
``LAKE_DIR/incoming/<source>/<batch>.parquet`` (batch = the reference date, ``20261031``).
Every source keys persons by ``id_number`` and ``name`` (either may carry typos, as real
extracts do) and states the date it is as of in ``reported_on``. Ingestion (a later issue)
declares a catalogue matching :data:`SOURCES`; a test checks the written files against it.

Money is yuan (float, 2 decimals); monthly amounts say so in their name or description.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TYPES = {"string": pa.string(), "date": pa.date32(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of TYPES
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Source:
    name: str
    title: str  # 中文
    department: str
    columns: tuple[Column, ...]

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, TYPES[c.type], nullable=c.nullable) for c in self.columns])


_ID = Column("id_number", "string", "身份证号码 (may contain typos)")
_NAME = Column("name", "string", "姓名 (may contain typos)")
_REPORTED = Column("reported_on", "date", "the date the extract is as of")


def _source(name: str, title: str, department: str, *columns: Column) -> Source:
    return Source(name, title, department, (_ID, _NAME, *columns, _REPORTED))


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        _source(
            "hukou_deaths", "户籍注销(死亡)", "公安/殡葬",
            Column("sex", "string", "M or F"),
            Column("death_date", "date", "date of death"),
            Column("death_place", "string", "医院 / 家中 / 其他"),
            Column("hukou_region_code", "string", "12-digit code of the hukou community"),
        ),
        _source(
            "disability_certificates", "残疾人证", "残联",
            Column("certificate_number", "string", "残疾人证号 (ID number + category digit + grade digit)"),
            Column("disability_category", "string", "visual/hearing/speech/physical/intellectual/mental/multiple"),
            Column("disability_grade", "int", "1 (most severe) to 4"),
            Column("issued_on", "date", "date issued"),
            Column("valid_until", "date", "expiry date"),
        ),
        _source(
            "social_insurance", "社会保险参保与养老金", "人社",
            Column("scheme", "string", "employee_pension (职工养老) or resident_pension (城乡居民养老)"),
            Column("status", "string", "contributing / receiving / suspended"),
            Column("employer_name", "string", "employer of a contributing employee, else empty"),
            Column("contribution_base", "float", "monthly contribution base (contributing employees), else 0"),
            Column("monthly_pension", "float", "monthly pension paid (receiving), else 0"),
            Column("period", "string", "YYYY-MM"),
        ),
        _source(
            "unemployment", "失业登记与失业保险金", "人社",
            Column("registered_on", "date", "date of unemployment registration"),
            Column("status", "string", "registered / receiving_benefit"),
            Column("monthly_benefit", "float", "monthly unemployment benefit, 0 when none"),
            Column("benefit_start", "date", "first month of benefit", nullable=True),
            Column("benefit_end", "date", "last month of benefit", nullable=True),
        ),
        _source(
            "tax_wages", "工资薪金个税代扣", "税务",
            Column("employer_credit_code", "string", "统一社会信用代码 of the withholding employer"),
            Column("employer_name", "string", "employer"),
            Column("period", "string", "YYYY-MM (one row per person and month, last three months)"),
            Column("wage_income", "float", "monthly wage income before tax"),
            Column("tax_withheld", "float", "individual income tax withheld that month"),
        ),
        _source(
            "medical_expenses", "住院医疗费用", "医保",
            Column("hospital_name", "string", "hospital"),
            Column("diagnosis", "string", "main diagnosis group"),
            Column("admitted_on", "date", "admission date"),
            Column("discharged_on", "date", "discharge date"),
            Column("total_cost", "float", "total cost of the stay"),
            Column("insurance_paid", "float", "paid by basic medical insurance"),
            Column("out_of_pocket", "float", "paid by the patient (total - insurance)"),
        ),
        _source(
            "vehicles", "机动车登记", "公安交管",
            Column("plate_number", "string", "号牌号码"),
            Column("vehicle_type", "string", "小型轿车 / 轻型货车 / 两轮摩托车 / 残疾人专用车 …"),
            Column("vehicle_value", "float", "assessed value in yuan"),
            Column("purchase_date", "date", "registration/purchase date"),
            Column("disability_vehicle", "bool", "残疾人专用车 (exempt from the asset test)"),
        ),
        _source(
            "real_estate", "不动产登记", "自然资源",
            Column("property_count", "int", "number of registered properties"),
            Column("total_area_m2", "float", "total floor area in m²"),
            Column("assessed_value", "float", "total assessed value in yuan"),
        ),
        _source(
            "business_registration", "市场主体登记", "市场监管",
            Column("business_name", "string", "registered name"),
            Column("credit_code", "string", "统一社会信用代码"),
            Column("business_type", "string", "个体工商户 / 有限责任公司"),
            Column("registered_capital", "float", "registered capital in yuan"),
            Column("status", "string", "存续 (active) / 注销 (deregistered)"),
            Column("established_on", "date", "date established"),
        ),
        _source(
            "bank_deposits", "银行存款", "人民银行/商业银行",
            Column("bank_name", "string", "bank"),
            Column("deposit_balance", "float", "deposit balance in yuan"),
            Column("wealth_products", "float", "wealth-management products held, yuan"),
        ),
        _source(
            "securities", "证券资产", "证券登记结算",
            Column("account_type", "string", "A股 / 基金"),
            Column("market_value", "float", "market value in yuan"),
        ),
        _source(
            "housing_fund", "住房公积金", "公积金中心",
            Column("account_balance", "float", "balance in yuan"),
            Column("monthly_contribution", "float", "monthly contribution (employee + employer)"),
            Column("status", "string", "contributing / sealed (封存)"),
        ),
        _source(
            "public_payroll", "财政供养人员", "财政",
            Column("employer_name", "string", "employer"),
            Column("employer_type", "string", "行政机关 / 事业单位"),
            Column("monthly_salary", "float", "monthly salary"),
            Column("since", "date", "on the payroll since"),
        ),
        _source(
            "prison", "服刑人员", "司法",
            Column("prison_name", "string", "prison"),
            Column("admitted_on", "date", "date admitted"),
            Column("expected_release_on", "date", "expected release date"),
            Column("released_on", "date", "date released; null while serving", nullable=True),
        ),
        _source(
            "benefits", "救助对象名册", "民政",
            Column("household_number", "string", "家庭编号 of the registry household"),
            Column("region_code", "string", "12-digit community code"),
            Column("programme", "string", "dibao / tekun / low_income_margin / disability_subsidies"),
            Column("relationship", "string", "relationship to the applicant (head, spouse, child…)"),
            Column("monthly_amount", "float", "this person's share of the monthly payment"),
            Column("start_date", "date", "receiving since"),
        ),
        _source(
            "staff", "民政工作人员", "民政",
            Column("employer_name", "string", "employer"),
            Column("post", "string", "post"),
            Column("region_code", "string", "12-digit code of the region served"),
            Column("since", "date", "in post since"),
        ),
    )
}

#: Sources whose rows may carry planted name/ID typos (not the civil-affairs rolls themselves).
TYPO_SOURCES = (
    "hukou_deaths", "disability_certificates", "social_insurance", "unemployment", "tax_wages", "medical_expenses",
    "vehicles", "real_estate", "business_registration", "bank_deposits", "securities", "housing_fund",
    "public_payroll", "prison",
)

PLANTED_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),
        pa.field("household_number", pa.string(), nullable=False),
        pa.field("id_number", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        pa.field("detail", pa.string(), nullable=False),
    ]
)
"""Ground truth of planted anomalies. ``id_number`` is the person's true number (also when the
source row carries a typo); ``source_row`` is the 0-based row in that source's batch (-1 when
the anomaly is an absence); ``detail`` is a JSON object. Kinds: unreported_death,
hidden_vehicle, name_typo, id_typo, duplicate_benefit, exclusive_programmes, staff_relative,
public_payroll_recipient, imprisoned_recipient, ineligible_recipient."""
