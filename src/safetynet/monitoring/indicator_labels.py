"""The indicator library's words as msgids (监测指标库的维度、指标和触发规则的名称与说明).

``indicators.yaml`` is the library as the department declares it and stays Chinese; these copies
only put each dimension's title, each indicator's and each trigger rule's title and explanation
into the catalogue, so that :func:`translated_label` and :func:`translated_dimension` show them in
the visitor's language. A test checks that every dimension, indicator and trigger is listed here.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop, pgettext_lazy

#: ``dimension title as written in the YAML: its label`` (short words, so they carry a context)
DIMENSIONS = {
    "收入": pgettext_lazy("indicator dimension", "收入"),
    "财产": pgettext_lazy("indicator dimension", "财产"),
    "健康与医疗": pgettext_lazy("indicator dimension", "健康与医疗"),
    "残疾": pgettext_lazy("indicator dimension", "残疾"),
    "教育": pgettext_lazy("indicator dimension", "教育"),
    "就业": pgettext_lazy("indicator dimension", "就业"),
    "住房": pgettext_lazy("indicator dimension", "住房"),
    "家庭结构": pgettext_lazy("indicator dimension", "家庭结构"),
    "灾害与欠费": pgettext_lazy("indicator dimension", "灾害与欠费"),
    "救助状态": pgettext_lazy("indicator dimension", "救助状态"),
}

#: every indicator's and trigger's title and explanation, by dimension
LABELS = frozenset((
    # income
    gettext_noop("人均收入低于低保标准"), gettext_noop("家庭月人均可支配收入（扣除刚性支出后）低于当地低保标准。"),
    gettext_noop("人均收入低于低保标准1.5倍"), gettext_noop("家庭月人均收入低于低保标准的1.5倍（低保边缘）。"),
    gettext_noop("人均收入低于低保标准2倍"), gettext_noop("家庭月人均收入低于低保标准的2倍（易返贫致贫）。"),
    gettext_noop("无任何登记收入"), gettext_noop("各部门数据中查不到家庭任何工资、养老金或失业金收入。"),
    gettext_noop("无工资性收入"), gettext_noop("家庭近三个月没有工资薪金记录。"),
    gettext_noop("人均工资收入低于低保标准"), gettext_noop("家庭人均工资收入不足当地低保标准。"),
    gettext_noop("仅靠养老金生活"), gettext_noop("家庭唯一收入来源为养老金。"),
    gettext_noop("老人养老金低于低保标准"), gettext_noop("家庭老年人平均月养老金低于低保标准（多为城乡居民养老保险）。"),
    gettext_noop("领取失业保险金"), gettext_noop("家庭有成员正在领取失业保险金，收入已明显下降。"),
    gettext_noop("一人收入养活多人"), gettext_noop("只有一名成员有收入，而家庭有四口人及以上。"),
    gettext_noop("收入较上期下降30%以上"), gettext_noop("需与上一期核对结果比对；监测尚未保存历次家庭收入序列，暂不计入。"),
    gettext_noop("经营性收入亏损"), gettext_noop("本市尚无经营所得数据源，暂不计入。"),
    # assets
    gettext_noop("无存款"), gettext_noop("家庭没有任何银行存款、理财或证券。"),
    gettext_noop("人均金融资产不足3个月低保标准"), gettext_noop("家庭人均存款、理财与证券合计不足3个月的低保标准。"),
    gettext_noop("金融资产在低保认定标准内"), gettext_noop("家庭人均金融资产未超过24个月低保标准（低保财产认定上限）。"),
    gettext_noop("无机动车"), gettext_noop("家庭名下没有登记机动车（残疾人专用车不计）。"),
    gettext_noop("无证券资产"), gettext_noop("家庭没有股票、基金等证券资产。"),
    gettext_noop("无住房公积金"), gettext_noop("家庭成员都没有公积金账户余额，通常意味着没有正规就业。"),
    gettext_noop("无经营主体"), gettext_noop("家庭成员名下没有存续的市场主体。"),
    gettext_noop("失地或承包地流转收入中断"), gettext_noop("本市尚无农业农村部门承包地数据，暂不计入。"),
    # health
    gettext_noop("有重特大疾病患者"), gettext_noop("家庭有成员患重特大疾病。"),
    gettext_noop("有慢性病患者"), gettext_noop("家庭有成员患慢性病，需长期用药。"),
    gettext_noop("有生活不能自理成员"), gettext_noop("家庭有成员生活不能自理，需要照护。"),
    gettext_noop("两人及以上患病"), gettext_noop("家庭两名及以上成员患慢性病或重病。"),
    gettext_noop("近一年有住院"), gettext_noop("家庭成员近12个月有住院记录。"),
    gettext_noop("近一年多次住院"), gettext_noop("家庭成员近12个月住院3次及以上。"),
    gettext_noop("年医疗自付超过1万元"), gettext_noop("近12个月住院个人自付费用合计超过1万元。"),
    gettext_noop("医疗自付超过家庭年收入40%"), gettext_noop("近12个月医疗自付占家庭年收入的40%以上（灾难性医疗支出）。"),
    gettext_noop("门诊慢特病费用负担"), gettext_noop("医保部门目前只提供住院费用，暂不计入。"),
    # disability
    gettext_noop("有残疾人"), gettext_noop("家庭有持证或登记的残疾人。"),
    gettext_noop("有重度残疾人（一、二级）"), gettext_noop("家庭有一级或二级重度残疾人。"),
    gettext_noop("两名及以上残疾人"), gettext_noop("家庭有两名及以上残疾人。"),
    gettext_noop("有智力或精神残疾人"), gettext_noop("家庭有智力或精神残疾人，监护负担重。"),
    gettext_noop("有完全丧失劳动能力成员"), gettext_noop("家庭有完全丧失劳动能力的成员。"),
    gettext_noop("有部分丧失劳动能力成员"), gettext_noop("家庭有部分丧失劳动能力的成员。"),
    gettext_noop("登记残疾但无有效残疾人证"), gettext_noop("户籍登记有残疾，但残联数据中没有有效残疾人证，可能享受不到补贴。"),
    # education
    gettext_noop("有在学年龄子女"), gettext_noop("家庭有6至18岁子女，有教育支出。"),
    gettext_noop("两名及以上在学年龄子女"), gettext_noop("家庭有两名及以上6至18岁子女。"),
    gettext_noop("有学龄前儿童"), gettext_noop("家庭有6岁以下儿童，需要照护。"),
    gettext_noop("义务教育阶段辍学"), gettext_noop("本市尚未接入教育部门学籍数据，暂不计入。"),
    gettext_noop("有在读大学生"), gettext_noop("本市尚未接入高校学籍与学费数据，暂不计入。"),
    gettext_noop("教育支出负担重"), gettext_noop("尚无教育支出数据源（核对中教育扣减为0），暂不计入。"),
    # employment
    gettext_noop("有登记失业人员"), gettext_noop("家庭有成员在人社部门登记失业。"),
    gettext_noop("家庭无就业人员"), gettext_noop("家庭没有任何成员有工资或财政供养收入。"),
    gettext_noop("劳动年龄成员无工资收入"), gettext_noop("家庭有16至59岁、有劳动能力却没有工资收入的成员。"),
    gettext_noop("抚养比高"), gettext_noop("每名就业人员要负担两名及以上非就业成员。"),
    gettext_noop("无人参加社会保险"), gettext_noop("家庭没有成员参保缴费或领取养老金。"),
    gettext_noop("无有劳动能力的劳动年龄人口"), gettext_noop("家庭没有16至59岁且有劳动能力的成员。"),
    gettext_noop("灵活就业收入不稳定"), gettext_noop("尚无平台就业与灵活就业收入数据，暂不计入。"),
    # housing
    gettext_noop("无自有住房"), gettext_noop("家庭成员名下没有登记房产。"),
    gettext_noop("人均住房面积不足15平方米"), gettext_noop("家庭自有住房人均面积不足15平方米（无房按0计）。"),
    gettext_noop("居住危房"), gettext_noop("本市尚未接入住建部门危房鉴定数据，暂不计入。"),
    gettext_noop("租房支出负担重"), gettext_noop("尚无租赁备案数据，暂不计入。"),
    gettext_noop("住房困难未获保障"), gettext_noop("尚无公租房与住房补贴数据，暂不计入。"),
    # demography
    gettext_noop("有60岁以上老人"), gettext_noop("家庭有60岁及以上老人。"),
    gettext_noop("有80岁以上高龄老人"), gettext_noop("家庭有80岁及以上高龄老人。"),
    gettext_noop("独居老人"), gettext_noop("60岁及以上老人独自生活。"),
    gettext_noop("纯老年人家庭"), gettext_noop("家庭成员全部是60岁及以上老人。"),
    gettext_noop("孤儿或事实无人抚养儿童"), gettext_noop("家庭有未满18岁儿童，而家中没有18至59岁的成年人。"),
    gettext_noop("单亲家庭"), gettext_noop("户主无配偶在户，且抚养未满18岁子女。"),
    gettext_noop("主要劳动力死亡"), gettext_noop("家庭有曾有收入的成员已死亡。"),
    gettext_noop("家庭成员死亡"), gettext_noop("公安或殡葬数据显示家庭有成员已死亡。"),
    gettext_noop("家庭成员服刑"), gettext_noop("家庭有成员正在服刑，家庭失去劳动力。"),
    gettext_noop("五口及以上大家庭"), gettext_noop("家庭人口5人及以上。"),
    gettext_noop("多子女家庭"), gettext_noop("家庭有3名及以上未满18岁子女。"),
    gettext_noop("单人户"), gettext_noop("家庭只有一人。"),
    gettext_noop("留守儿童或留守老人"), gettext_noop("尚无流动人口与外出务工数据，暂不计入。"),
    # shocks
    gettext_noop("遭受自然灾害"), gettext_noop("本市尚未接入应急管理部门灾情数据，暂不计入。"),
    gettext_noop("遭遇意外事故"), gettext_noop("尚无交通事故与工伤数据，暂不计入。"),
    gettext_noop("水费欠缴三个月以上"), gettext_noop("本市尚未接入供水企业欠费数据，暂不计入。"),
    gettext_noop("电费欠缴三个月以上"), gettext_noop("本市尚未接入供电企业欠费数据，暂不计入。"),
    gettext_noop("燃气费欠缴"), gettext_noop("本市尚未接入燃气企业欠费数据，暂不计入。"),
    gettext_noop("取暖费欠缴"), gettext_noop("本市尚未接入供热企业欠费数据，暂不计入。"),
    gettext_noop("物业费长期欠缴"), gettext_noop("尚无物业费数据，暂不计入。"),
    # benefits
    gettext_noop("在享低保"), gettext_noop("家庭正在领取最低生活保障金。"),
    gettext_noop("在享特困供养"), gettext_noop("家庭有特困供养人员。"),
    gettext_noop("低保边缘家庭"), gettext_noop("家庭已被认定为低保边缘家庭，处于困难边缘。"),
    gettext_noop("领取残疾人两项补贴"), gettext_noop("家庭有成员领取困难残疾人生活补贴或重度残疾人护理补贴。"),
    gettext_noop("未享受任何救助"), gettext_noop("家庭未在任何救助名册中。"),
    gettext_noop("成员在多个救助家庭中"), gettext_noop("同一成员出现在两个及以上救助家庭中，需核实。"),
    gettext_noop("近期领取过临时救助"), gettext_noop("临时救助发放记录尚未进入数据湖，暂不计入。"),
    # triggers
    gettext_noop("大额住院自付"), gettext_noop("出院结算的个人自付费用超过家庭年收入的30%（且不少于3000元），可能因病致贫。"),
    gettext_noop("有收入成员死亡"), gettext_noop("家庭中有收入的成员死亡，家庭失去主要收入来源。"),
    gettext_noop("有收入成员入狱服刑"), gettext_noop("家庭中有收入的成员入狱服刑，家庭失去收入来源。"),
    gettext_noop("新增重度残疾"), gettext_noop("家庭成员新办一、二级残疾人证。"),
    gettext_noop("新登记失业"), gettext_noop("家庭成员新近在人社部门登记失业。"),
))


def translated_label(text: str) -> str:
    """An indicator's or trigger's title or explanation in the active language (unchanged if it
    has no msgid, e.g. one stored by an older version of the library)."""
    return gettext(text) if text else text


def translated_dimension(title: str) -> str:
    """A dimension's title in the active language (unchanged if it has no msgid)."""
    return str(DIMENSIONS.get(title, title))
