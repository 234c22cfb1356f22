"""The source catalogue's words as msgids (数据源目录的名称、提供部门、字段和事实名称).

``catalogue.yaml`` is the platform's declaration of each department's data and stays Chinese;
these copies only put each source's title and owning department, each column's title and each
fact's title into the catalogue, so that the pages show them in the visitor's language (the
legal basis is the law's text and is shown as written); the refresh cadence, declared as a code,
gets a label in each language. A test checks that every one is listed.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

#: ``word as written in the YAML: its label`` (many are short words, so they carry a context)
LABELS = {
    # hukou_deaths
    "户籍注销(死亡)": pgettext_lazy("source catalogue", "户籍注销(死亡)"),
    "公安机关/殡葬管理机构": pgettext_lazy("source catalogue", "公安机关/殡葬管理机构"),
    "身份证号码": pgettext_lazy("source catalogue", "身份证号码"),
    "姓名": pgettext_lazy("source catalogue", "姓名"),
    "数据截至日期": pgettext_lazy("source catalogue", "数据截至日期"),
    "性别": pgettext_lazy("source catalogue", "性别"),
    "死亡日期": pgettext_lazy("source catalogue", "死亡日期"),
    "死亡地点": pgettext_lazy("source catalogue", "死亡地点"),
    "户籍地区划代码": pgettext_lazy("source catalogue", "户籍地区划代码"),
    "已死亡": pgettext_lazy("source catalogue", "已死亡"),
    # disability_certificates
    "残疾人证": pgettext_lazy("source catalogue", "残疾人证"),
    "残疾人联合会": pgettext_lazy("source catalogue", "残疾人联合会"),
    "残疾人证号": pgettext_lazy("source catalogue", "残疾人证号"),
    "残疾类别": pgettext_lazy("source catalogue", "残疾类别"),
    "残疾等级": pgettext_lazy("source catalogue", "残疾等级"),
    "发证日期": pgettext_lazy("source catalogue", "发证日期"),
    "有效期至": pgettext_lazy("source catalogue", "有效期至"),
    "持证残疾人": pgettext_lazy("source catalogue", "持证残疾人"),
    # social_insurance
    "社会保险参保与养老金": pgettext_lazy("source catalogue", "社会保险参保与养老金"),
    "人力资源和社会保障局": pgettext_lazy("source catalogue", "人力资源和社会保障局"),
    "险种": pgettext_lazy("source catalogue", "险种"),
    "状态": pgettext_lazy("source catalogue", "状态"),
    "参保单位": pgettext_lazy("source catalogue", "参保单位"),
    "缴费基数(月)": pgettext_lazy("source catalogue", "缴费基数(月)"),
    "月养老金": pgettext_lazy("source catalogue", "月养老金"),
    "所属期(YYYY-MM)": pgettext_lazy("source catalogue", "所属期(YYYY-MM)"),
    "养老金": pgettext_lazy("source catalogue", "养老金"),
    # unemployment
    "失业登记与失业保险金": pgettext_lazy("source catalogue", "失业登记与失业保险金"),
    "失业登记日期": pgettext_lazy("source catalogue", "失业登记日期"),
    "月失业保险金": pgettext_lazy("source catalogue", "月失业保险金"),
    "领取起始": pgettext_lazy("source catalogue", "领取起始"),
    "领取截止": pgettext_lazy("source catalogue", "领取截止"),
    "失业保险金": pgettext_lazy("source catalogue", "失业保险金"),
    "登记失业": pgettext_lazy("source catalogue", "登记失业"),
    # tax_wages
    "工资薪金个税代扣": pgettext_lazy("source catalogue", "工资薪金个税代扣"),
    "税务局": pgettext_lazy("source catalogue", "税务局"),
    "扣缴单位信用代码": pgettext_lazy("source catalogue", "扣缴单位信用代码"),
    "扣缴单位": pgettext_lazy("source catalogue", "扣缴单位"),
    "月工资薪金收入": pgettext_lazy("source catalogue", "月工资薪金收入"),
    "代扣个税": pgettext_lazy("source catalogue", "代扣个税"),
    "工资性收入": pgettext_lazy("source catalogue", "工资性收入"),
    # medical_expenses
    "住院医疗费用": pgettext_lazy("source catalogue", "住院医疗费用"),
    "医疗保障局": pgettext_lazy("source catalogue", "医疗保障局"),
    "医院": pgettext_lazy("source catalogue", "医院"),
    "主要诊断": pgettext_lazy("source catalogue", "主要诊断"),
    "入院日期": pgettext_lazy("source catalogue", "入院日期"),
    "出院日期": pgettext_lazy("source catalogue", "出院日期"),
    "总费用": pgettext_lazy("source catalogue", "总费用"),
    "医保支付": pgettext_lazy("source catalogue", "医保支付"),
    "个人自付": pgettext_lazy("source catalogue", "个人自付"),
    "医疗自付费用": pgettext_lazy("source catalogue", "医疗自付费用"),
    # vehicles
    "机动车登记": pgettext_lazy("source catalogue", "机动车登记"),
    "公安交通管理部门": pgettext_lazy("source catalogue", "公安交通管理部门"),
    "号牌号码": pgettext_lazy("source catalogue", "号牌号码"),
    "车辆类型": pgettext_lazy("source catalogue", "车辆类型"),
    "车辆价值": pgettext_lazy("source catalogue", "车辆价值"),
    "登记日期": pgettext_lazy("source catalogue", "登记日期"),
    "残疾人专用车": pgettext_lazy("source catalogue", "残疾人专用车"),
    "机动车": pgettext_lazy("source catalogue", "机动车"),
    # real_estate
    "不动产登记": pgettext_lazy("source catalogue", "不动产登记"),
    "自然资源局(不动产登记中心)": pgettext_lazy("source catalogue", "自然资源局(不动产登记中心)"),
    "房产套数": pgettext_lazy("source catalogue", "房产套数"),
    "总面积(平方米)": pgettext_lazy("source catalogue", "总面积(平方米)"),
    "评估价值": pgettext_lazy("source catalogue", "评估价值"),
    "房产": pgettext_lazy("source catalogue", "房产"),
    # business_registration
    "市场主体登记": pgettext_lazy("source catalogue", "市场主体登记"),
    "市场监督管理局": pgettext_lazy("source catalogue", "市场监督管理局"),
    "主体名称": pgettext_lazy("source catalogue", "主体名称"),
    "统一社会信用代码": pgettext_lazy("source catalogue", "统一社会信用代码"),
    "主体类型": pgettext_lazy("source catalogue", "主体类型"),
    "注册资本": pgettext_lazy("source catalogue", "注册资本"),
    "登记状态": pgettext_lazy("source catalogue", "登记状态"),
    "成立日期": pgettext_lazy("source catalogue", "成立日期"),
    "市场主体": pgettext_lazy("source catalogue", "市场主体"),
    # bank_deposits
    "银行存款": pgettext_lazy("source catalogue", "银行存款"),
    "中国人民银行分支机构/商业银行": pgettext_lazy("source catalogue", "中国人民银行分支机构/商业银行"),
    "银行": pgettext_lazy("source catalogue", "银行"),
    "存款余额": pgettext_lazy("source catalogue", "存款余额"),
    "理财产品": pgettext_lazy("source catalogue", "理财产品"),
    "存款": pgettext_lazy("source catalogue", "存款"),
    # securities
    "证券资产": pgettext_lazy("source catalogue", "证券资产"),
    "证券登记结算机构": pgettext_lazy("source catalogue", "证券登记结算机构"),
    "账户类型": pgettext_lazy("source catalogue", "账户类型"),
    "市值": pgettext_lazy("source catalogue", "市值"),
    "证券": pgettext_lazy("source catalogue", "证券"),
    # housing_fund
    "住房公积金": pgettext_lazy("source catalogue", "住房公积金"),
    "住房公积金管理中心": pgettext_lazy("source catalogue", "住房公积金管理中心"),
    "账户余额": pgettext_lazy("source catalogue", "账户余额"),
    "月缴存额": pgettext_lazy("source catalogue", "月缴存额"),
    "公积金": pgettext_lazy("source catalogue", "公积金"),
    # public_payroll
    "财政供养人员": pgettext_lazy("source catalogue", "财政供养人员"),
    "财政局": pgettext_lazy("source catalogue", "财政局"),
    "单位": pgettext_lazy("source catalogue", "单位"),
    "单位性质": pgettext_lazy("source catalogue", "单位性质"),
    "月工资": pgettext_lazy("source catalogue", "月工资"),
    "入编日期": pgettext_lazy("source catalogue", "入编日期"),
    "财政供养工资": pgettext_lazy("source catalogue", "财政供养工资"),
    # prison
    "服刑人员": pgettext_lazy("source catalogue", "服刑人员"),
    "司法行政机关": pgettext_lazy("source catalogue", "司法行政机关"),
    "监狱": pgettext_lazy("source catalogue", "监狱"),
    "入监日期": pgettext_lazy("source catalogue", "入监日期"),
    "预计释放日期": pgettext_lazy("source catalogue", "预计释放日期"),
    "释放日期": pgettext_lazy("source catalogue", "释放日期"),
    "服刑": pgettext_lazy("source catalogue", "服刑"),
    # benefits
    "救助对象名册": pgettext_lazy("source catalogue", "救助对象名册"),
    "民政局": pgettext_lazy("source catalogue", "民政局"),
    "家庭编号": pgettext_lazy("source catalogue", "家庭编号"),
    "社区区划代码": pgettext_lazy("source catalogue", "社区区划代码"),
    "救助项目": pgettext_lazy("source catalogue", "救助项目"),
    "与申请人关系": pgettext_lazy("source catalogue", "与申请人关系"),
    "月救助金": pgettext_lazy("source catalogue", "月救助金"),
    "享受起始日期": pgettext_lazy("source catalogue", "享受起始日期"),
    "在享救助": pgettext_lazy("source catalogue", "在享救助"),
    # staff
    "民政工作人员": pgettext_lazy("source catalogue", "民政工作人员"),
    "岗位": pgettext_lazy("source catalogue", "岗位"),
    "服务区划代码": pgettext_lazy("source catalogue", "服务区划代码"),
    "任职日期": pgettext_lazy("source catalogue", "任职日期"),
    # land_contract
    "农村土地承包经营权与耕地地力保护补贴": pgettext_lazy("source catalogue", "农村土地承包经营权与耕地地力保护补贴"),
    "农业农村局": pgettext_lazy("source catalogue", "农业农村局"),
    "承包地面积(亩)": pgettext_lazy("source catalogue", "承包地面积(亩)"),
    "补贴年度": pgettext_lazy("source catalogue", "补贴年度"),
    "耕地地力保护补贴(元/年)": pgettext_lazy("source catalogue", "耕地地力保护补贴(元/年)"),
    "承包地面积": pgettext_lazy("source catalogue", "承包地面积"),
    # electricity_use
    "居民生活用电": pgettext_lazy("source catalogue", "居民生活用电"),
    "供电公司": pgettext_lazy("source catalogue", "供电公司"),
    "用电户号": pgettext_lazy("source catalogue", "用电户号"),
    "近12个月月均用电量(千瓦时)": pgettext_lazy("source catalogue", "近12个月月均用电量(千瓦时)"),
    "近12个月月均电费(元)": pgettext_lazy("source catalogue", "近12个月月均电费(元)"),
    "月均用电量": pgettext_lazy("source catalogue", "月均用电量"),
}

#: ``cadence as declared (a code): its label``
CADENCES = {
    "daily": pgettext_lazy("source cadence", "每日"),
    "monthly": pgettext_lazy("source cadence", "每月"),
    "quarterly": pgettext_lazy("source cadence", "每季度"),
    "yearly": pgettext_lazy("source cadence", "每年"),
}


def translated_label(text: str) -> str:
    """A source's title or owner, or a column's or fact's title, in the active language (unchanged
    if it has no msgid)."""
    return str(LABELS.get(text, text))


def cadence_label(cadence: str) -> str:
    """How often a source refreshes, in the active language (the code itself if it has no label)."""
    return str(CADENCES.get(cadence, cadence))
