"""The demo city's resource catalogue (融救联助资源目录), shaped like the seed's city (S 省 X 市):
17 departments offering 53 resources, and 68 social organisations with one service each, every
condition written on the rules' variables. Capacities scale with the city's households.

Deterministic for a seed; loaded through the resource services (as the initial load, so public
departments' entries do not wait for a second person), then every household's needs are derived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db import transaction

from safetynet.accounts.models import User
from safetynet.core.roles import Role
from safetynet.demo.population import CITY_CODE
from safetynet.regions.models import Level, Region
from safetynet.registry.models import Household
from safetynet.resources.models import Provider, ProviderKind, Resource
from safetynet.resources.services import needs_refresh_region, provider_create, resource_propose

DIBAO = {"variable": "dibao_eligible", "op": "eq", "value": 1}
MARGIN_OR_BELOW = {"variable": "income_to_standard", "op": "lt", "value": 1.5}
BELOW_2 = {"variable": "income_to_standard", "op": "lt", "value": 2.0}
TEKUN = {"variable": "tekun_persons", "op": "ge", "value": 1}
CARE = {"variable": "care_subsidy_persons", "op": "ge", "value": 1}
LIVING = {"variable": "living_subsidy_persons", "op": "ge", "value": 1}
MED_HIGH = {"variable": "medical_expenses_12m", "op": "gt", "value": 5000}
RURAL = {"variable": "rural", "op": "eq", "value": 1}
URBAN = {"variable": "rural", "op": "eq", "value": 0}
NO_HOME = {"variable": "dwellings", "op": "eq", "value": 0}
EDU_COST = {"variable": "education_expenses_12m", "op": "gt", "value": 0}

#: (department code, name, [(resource code, name, kind, unit cost yuan, per-10k-households capacity,
#:   meets, conditions, exclusive with, requires)])
DEPARTMENTS = [
    ("mz", "市民政局", [
        ("mz-lsjz", "临时救助金", "cash", 1500, 60, {"basic_living": 60}, [MARGIN_OR_BELOW], [], []),
        ("mz-wzbz", "困难群众冬季物资包", "in_kind", 300, 150, {"basic_living": 30}, [MARGIN_OR_BELOW], [], []),
        ("mz-tkgy", "特困人员集中供养床位", "place", 2500, 8, {"elderly_care": 100, "basic_living": 100}, [TEKUN],
         ["mz-fsjz"], []),
        ("mz-fsjz", "分散供养照料服务", "care", 600, 25, {"elderly_care": 70, "disability_care": 40}, [TEKUN], [], []),
        ("mz-xlsd", "救助对象心理疏导", "service_hours", 200, 40, {"family_support": 80}, [BELOW_2], [], []),
        ("mz-cjbt", "困难残疾人生活补贴", "cash", 100, 60, {"disability_care": 30, "basic_living": 20}, [LIVING], [], []),
        ("mz-hlbt", "重度残疾人护理补贴", "cash", 100, 40, {"disability_care": 40}, [CARE], [], []),
    ]),
    ("jy", "市教育局", [
        ("jy-zxj", "家庭经济困难学生助学金", "cash", 1000, 80, {"education": 70}, [MARGIN_OR_BELOW], [], []),
        ("jy-ymf", "学前教育保育费减免", "cash", 400, 40, {"education": 40}, [DIBAO], [], []),
        ("jy-bbfd", "课后帮扶辅导", "service_hours", 150, 60, {"education": 40, "family_support": 20}, [BELOW_2], [],
         []),
    ]),
    ("wj", "市卫生健康委员会", [
        ("wj-jtys", "家庭医生签约重点服务", "medical", 100, 150, {"medical": 40, "elderly_care": 20}, [], [], []),
        ("wj-mbgl", "慢病免费随访管理", "medical", 80, 120, {"medical": 30}, [], [], []),
        ("wj-lnjk", "老年人健康管理", "medical", 60, 150, {"elderly_care": 30, "medical": 20}, [], [], []),
        ("wj-jsws", "严重精神障碍患者救治", "medical", 1200, 10, {"medical": 80, "family_support": 30}, [BELOW_2], [],
         []),
    ]),
    ("yb", "市医疗保障局", [
        ("yb-yljz", "医疗救助（住院自付部分）", "cash", 3000, 50, {"medical": 90}, [MARGIN_OR_BELOW, MED_HIGH], [], []),
        ("yb-zcbz", "城乡居民医保参保资助", "cash", 350, 200, {"medical": 30}, [MARGIN_OR_BELOW], [], []),
        ("yb-dbfj", "大病专项救治", "medical", 5000, 10, {"medical": 100}, [BELOW_2, MED_HIGH], ["yb-yljz"], []),
    ]),
    ("rs", "市人力资源和社会保障局", [
        ("rs-gygw", "公益性岗位", "job", 2000, 30, {"employment": 100, "basic_living": 40}, [MARGIN_OR_BELOW], [],
         []),
        ("rs-jnpx", "免费职业技能培训", "training", 800, 60, {"employment": 50}, [BELOW_2], [], []),
        ("rs-jyzd", "就业指导与岗位推荐", "service_hours", 100, 150, {"employment": 40}, [], [], []),
        ("rs-jyjx", "就业见习岗位", "job", 1500, 15, {"employment": 70}, [BELOW_2], ["rs-gygw"], []),
        ("rs-cybt", "一次性创业补贴", "cash", 5000, 5, {"employment": 70}, [BELOW_2], [], ["rs-jnpx"]),
    ]),
    ("zj", "市住房和城乡建设局", [
        ("zj-gzf", "公共租赁住房", "housing", 1200, 10, {"housing": 100}, [MARGIN_OR_BELOW, URBAN], ["zj-zlbt"], []),
        ("zj-zlbt", "住房租赁补贴", "cash", 500, 30, {"housing": 70}, [MARGIN_OR_BELOW, URBAN], [], []),
        ("zj-wfgz", "农村危房改造", "housing", 20000, 3, {"housing": 100}, [MARGIN_OR_BELOW, RURAL], [], []),
    ]),
    ("cl", "市残疾人联合会", [
        ("cl-kf", "残疾人康复训练", "service_hours", 1500, 30, {"disability_care": 70}, [LIVING], [], []),
        ("cl-fj", "辅助器具适配", "in_kind", 1000, 25, {"disability_care": 50}, [], [], []),
        ("cl-tyhl", "重度残疾人托养照护", "care", 2500, 10, {"disability_care": 100}, [CARE], ["cl-jjhl"], []),
        ("cl-jjhl", "重度残疾人居家照护", "care", 800, 25, {"disability_care": 70, "family_support": 20}, [CARE], [],
         []),
    ]),
    ("fl", "市妇女联合会", [
        ("fl-dqmq", "单亲困难母亲帮扶", "cash", 800, 20, {"basic_living": 30, "family_support": 40},
         [MARGIN_OR_BELOW], [], []),
        ("fl-jtjy", "家庭教育指导", "service_hours", 100, 40, {"family_support": 40, "education": 20}, [], [], []),
        ("fl-jzpx", "家政技能培训", "training", 600, 30, {"employment": 50}, [BELOW_2], [], []),
    ]),
    ("gh", "市总工会", [
        ("gh-knzg", "困难职工帮扶金", "cash", 1000, 20, {"basic_living": 40}, [MARGIN_OR_BELOW], [], []),
        ("gh-jtzx", "金秋助学", "cash", 1500, 15, {"education": 70}, [BELOW_2], ["jy-zxj"], []),
        ("gh-jyfw", "职工再就业服务", "service_hours", 200, 30, {"employment": 40}, [], [], []),
    ]),
    ("tw", "共青团市委", [
        ("tw-xwgc", "希望工程圆梦助学", "cash", 2000, 10, {"education": 80}, [MARGIN_OR_BELOW], [], []),
        ("tw-zyz", "青年志愿者结对关爱", "service_hours", 50, 80, {"family_support": 40, "elderly_care": 20}, [], [],
         []),
    ]),
    ("tj", "市退役军人事务局", [
        ("tj-knbz", "困难退役军人帮扶援助", "cash", 1500, 5, {"basic_living": 50}, [MARGIN_OR_BELOW], [], []),
        ("tj-jypx", "退役军人就业培训", "training", 800, 5, {"employment": 50}, [], [], []),
    ]),
    ("sf", "市司法局", [
        ("sf-flyz", "法律援助", "service_hours", 500, 30, {"family_support": 50}, [BELOW_2], [], []),
        ("sf-tjfw", "家庭矛盾人民调解", "service_hours", 100, 20, {"family_support": 40}, [], [], []),
    ]),
    ("ny", "市农业农村局", [
        ("ny-cyfc", "产业帮扶种养补贴", "cash", 2000, 20, {"employment": 60, "basic_living": 30},
         [MARGIN_OR_BELOW, RURAL], [], []),
        ("ny-jspx", "农业实用技术培训", "training", 300, 40, {"employment": 40}, [RURAL], [], []),
    ]),
    ("xc", "市乡村振兴局", [
        ("xc-xdjy", "脱贫人口小额信贷贴息", "cash", 800, 15, {"employment": 40}, [BELOW_2, RURAL], [], []),
        ("xc-jyzz", "跨区域就业交通补助", "cash", 300, 20, {"employment": 30}, [BELOW_2, RURAL], [], []),
        ("xc-gyxg", "乡村公益性岗位", "job", 1000, 20, {"employment": 100, "basic_living": 30},
         [MARGIN_OR_BELOW, RURAL], ["rs-gygw"], []),
    ]),
    ("hs", "市红十字会", [
        ("hs-bjjz", "博爱救助金", "cash", 1000, 15, {"basic_living": 30, "medical": 30}, [MARGIN_OR_BELOW], [], []),
        ("hs-jjpx", "应急救护培训与慰问", "in_kind", 200, 20, {"family_support": 20}, [], [], []),
    ]),
    ("cs", "市慈善总会", [
        ("cs-dbjz", "慈善大病救助", "cash", 5000, 10, {"medical": 70}, [BELOW_2, MED_HIGH], [], []),
        ("cs-zxzx", "慈善助学", "cash", 1500, 20, {"education": 60}, [BELOW_2], [], []),
        ("cs-wzyz", "慈善物资援助", "in_kind", 300, 60, {"basic_living": 30}, [BELOW_2], [], []),
    ]),
    ("yj", "市应急管理局", [
        ("yj-zhjz", "受灾群众生活救助", "cash", 1000, 10, {"basic_living": 50, "housing": 30}, [BELOW_2], [], []),
        ("yj-gdbz", "过渡期生活补助", "cash", 600, 10, {"basic_living": 40}, [MARGIN_OR_BELOW], [], []),
    ]),
]

#: Social organisations: (name pattern, resource name, kind, unit cost yuan, per-district capacity per 10k
#: households, meets, conditions).
ORG_KINDS = [
    ("%s社会工作服务中心", "困难家庭社工个案服务", "service_hours", 300, 8, {"family_support": 70}, [BELOW_2]),
    ("%s居家养老服务社", "失能老人居家照护", "care", 800, 8, {"elderly_care": 80}, [BELOW_2]),
    ("%s助残服务中心", "残疾人日间照料", "care", 600, 6, {"disability_care": 60}, []),
    ("%s青少年成长服务社", "困境儿童课业辅导", "service_hours", 200, 8, {"education": 50, "family_support": 20}, []),
    ("%s就业帮扶服务站", "就业陪伴与岗位对接", "service_hours", 200, 8, {"employment": 50}, []),
    ("%s爱心食堂", "困难老人助餐", "in_kind", 300, 10, {"elderly_care": 40, "basic_living": 20}, [BELOW_2]),
    ("%s心理健康服务中心", "心理咨询与危机干预", "service_hours", 400, 5, {"family_support": 80}, []),
    ("%s公益医疗服务队", "义诊与药品援助", "medical", 300, 8, {"medical": 40}, [BELOW_2]),
    ("%s慈善超市", "慈善超市物资券", "in_kind", 200, 12, {"basic_living": 30}, [MARGIN_OR_BELOW]),
]
ORG_COUNT = 68


@dataclass
class CatalogueResult:
    departments: int
    organisations: int
    resources: int
    skipped: bool = False
    needs: dict | None = None


def _capacity(per_10k: int, households: int) -> int:
    return max(1, round(per_10k * households / 10_000))


@transaction.atomic
def demo_catalogue_seed(*, seed: int = 1) -> CatalogueResult:
    """Build the demo city's catalogue once; a second call changes nothing."""
    if Provider.objects.filter(code__startswith="demo-").exists():
        return CatalogueResult(0, 0, 0, skipped=True)
    city = Region.objects.get(code=CITY_CODE)
    districts = list(Region.objects.filter(parent=city, level=Level.COUNTY).order_by("code"))
    households = max(Household.objects.filter(region__path__startswith=city.path).count(), 1)
    rng = np.random.default_rng(seed)
    n_resources = 0
    for code, name, resources in DEPARTMENTS:
        provider = provider_create(code=f"demo-{code}", name=name, kind=ProviderKind.DEPARTMENT, region=city,
                                   actor=None, contact=f"0999-{rng.integers(1000000, 9999999)}")
        # exclusive and requires point at resources created earlier in the table, or later: second pass
        for rcode, rname, kind, cost, per_10k, meets, conds, _ex, _rq in resources:
            capacity = _capacity(per_10k, households)
            resource_propose(provider_id=provider.pk, actor=None, user_checked=False, data={
                "code": rcode, "name": rname, "kind": kind, "unit_cost_fen": cost * 100, "capacity": capacity,
                "budget_fen": cost * 100 * capacity if kind == "cash" else None, "service_area": city.code,
                "meets": meets, "conditions": conds, "accept_days": 3, "deliver_days": 10 if kind != "housing" else 30,
            })
            n_resources += 1
    for code, _name, resources in DEPARTMENTS:
        provider = Provider.objects.get(code=f"demo-{code}")
        for rcode, _rn, _k, _c, _p, _m, _co, exclusive, requires in resources:
            if exclusive or requires:
                resource = Resource.objects.get(code=rcode)
                resource_propose(provider_id=provider.pk, actor=None, user_checked=False, resource_id=resource.pk,
                                 data={"exclusive_with": exclusive, "requires": requires})
    for i in range(ORG_COUNT):
        district = districts[i % len(districts)] if districts else city
        pattern, rname, kind, cost, per_10k, meets, conds = ORG_KINDS[i % len(ORG_KINDS)]
        place = district.name.removesuffix("区").removesuffix("县")
        name = pattern % f"{place}{'仁爱惠民康宁同心阳光善行春晖'[i % 12]}{'' if i < 12 else i // 12 + 1}"
        provider = provider_create(code=f"demo-org{i + 1:02d}", name=name, kind=ProviderKind.SOCIAL_ORG,
                                   region=district, actor=None)
        capacity = _capacity(per_10k * 3, households // max(len(districts), 1))
        resource_propose(provider_id=provider.pk, actor=None, data={
            "code": f"org{i + 1:02d}", "name": rname, "kind": kind, "unit_cost_fen": cost * 100,
            "capacity": capacity, "budget_fen": None,
            "service_area": district.code, "meets": meets, "conditions": conds, "accept_days": 2, "deliver_days": 7,
        })
        n_resources += 1
    provider_account = User.objects.filter(role=Role.PROVIDER, username="demo-provider").first()
    if provider_account is not None:
        provider_account.providers.add(*Provider.objects.filter(code__in=["demo-cl", "demo-mz", "demo-org01"]))
    return CatalogueResult(len(DEPARTMENTS), ORG_COUNT, n_resources)


def demo_resources_seed(*, seed: int = 1, on: dt.date) -> CatalogueResult:
    """The catalogue, then every demo household's needs as of ``on``."""
    result = demo_catalogue_seed(seed=seed)
    if not result.skipped:
        city = Region.objects.get(code=CITY_CODE)
        result.needs = needs_refresh_region(region_path=city.path, on=on)
    return result
