"""Reads one household's computed variables back out of a simulation and states, test by test,
why each programme decided as it did. Every number quoted is the one the formulas used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from safetynet.rules.decision import (
    AmountLine,
    Decision,
    ProgrammeDecision,
    Test,
    yuan,
    yuan_compared,
)
from safetynet.rules.facts import HouseholdFacts
from safetynet.rules.money import yuan_decimal
from safetynet.rules.regional import DEFAULT_KEY, ParameterSource, county_of, parameter_source
from safetynet.rules.variables.facts import SelfCare, TemporaryCase


class _Reader:
    """Values of one household (index ``h``) and its members in a computed simulation."""

    def __init__(self, simulation, month, system, facts: HouseholdFacts, h: int, person_slice: slice) -> None:
        self.simulation, self.month, self.system, self.facts = simulation, month, system, facts
        self.h, self.persons = h, person_slice
        self.county = county_of(facts.region_code)
        self.instant = str(month.start)

        self._memo: dict[tuple[str, str], Any] = {}

    def hh(self, name: str) -> Any:
        key = ("h", name)
        if key not in self._memo:
            value = self.simulation.calculate(name, self.month)[self.h]
            self._memo[key] = value.item() if hasattr(value, "item") else value
        return self._memo[key]

    def pp(self, name: str) -> list:
        key = ("p", name)
        if key not in self._memo:
            values = self.simulation.calculate(name, self.month)[self.persons]
            self._memo[key] = [v.item() if hasattr(v, "item") else v for v in values]
        return self._memo[key]

    def param(self, path: str) -> ParameterSource:
        key = ("s", path)
        if key not in self._memo:
            self._memo[key] = parameter_source(self.system.parameters, path, self.county, self.instant)
        return self._memo[key]

    def test(
        self,
        code,
        passed,
        text,
        *,
        value=None,
        threshold=None,
        source: ParameterSource | None = None,
        member=None,
        appealable: bool = False,
    ):
        return Test(
            code=code,
            passed=bool(passed),
            text=text,
            value=_plain(value),
            threshold=_plain(threshold),
            parameter=source.path if source else None,
            reference=source.reference if source else "",
            member=member,
            appealable=appealable,
        )


def _plain(value):
    if isinstance(value, float):
        return round(value, 6)  # the value compared, unrounded (float noise cleared)
    return value


def _line(
    code: str, amount, text: str, *sources: ParameterSource | None, member: int | None = None
) -> AmountLine:
    """An amount line quoting, in the applicant's words, the legal reference of every parameter
    it applies; the same references are returned as data."""
    used = [s for s in sources if s is not None]
    reference = "；".join(dict.fromkeys(s.reference for s in used if s.reference))
    if reference:
        text += _("（依据：%(r)s）") % {"r": reference}
    return AmountLine(
        code,
        yuan_decimal(amount),
        text,
        member=member,
        parameters=tuple(dict.fromkeys(s.path for s in used)),
        reference=reference,
    )


def _rounding_line(r: _Reader, code: str, amount) -> AmountLine:
    unit = r.param("payment.rounding_unit")
    text = (
        _("合计 %(a)s 元（计算到分，分以下四舍五入）")
        if unit.value < 1
        else _("合计 %(a)s 元（按元发放，角以下四舍五入）")
    ) % {"a": yuan(amount)}
    return _line(code, amount, text, unit)


def _where(source: ParameterSource) -> str:
    if source.region_key == DEFAULT_KEY:
        return _("省定")
    if source.region_key[4:6] != "00":
        return _("本县（区）")
    if source.region_key[2:4] != "00":
        return _("本市")
    return _("本省")


def _member_name(facts: HouseholdFacts, i: int) -> str:
    return facts.members[i].name or _("成员%(n)d") % {"n": i + 1}


def build_decision(
    *, simulation, month, system, facts: HouseholdFacts, h: int = 0, person_slice: slice
) -> Decision:
    r = _Reader(simulation, month, system, facts, h, person_slice)
    programmes = {
        "tekun": _tekun(r),
        "dibao": _dibao(r),
        "low_income_margin": _low_income_margin(r),
        "temporary_assistance": _temporary(r),
        "medical_assistance": _medical(r),
        "disability_subsidies": _disability(r),
    }
    return Decision(
        month=dt.date(month.start.year, month.start.month, 1),
        region_code=facts.region_code,
        household_id=facts.household_id,
        household_size=int(r.hh("household_size")),
        income_per_head=round(float(r.hh("income_per_head")), 6),
        dibao_standard=round(float(r.hh("dibao_standard")), 2),
        programmes=programmes,
    )


def _standard_source(r: _Reader) -> ParameterSource:
    return r.param("dibao.standard.rural" if r.facts.rural else "dibao.standard.urban")


def _asset_tests(r: _Reader, *, deposit_limit_var: str, months_path: str) -> list[Test]:
    size = r.hh("household_size")
    months = r.param(months_path)
    deposits, limit = r.hh("deposits"), r.hh(deposit_limit_var)
    tests = [
        r.test(
            "assets.deposits",
            deposits <= limit,
            (
                _("存款及有价证券 %(v)s 元，未超过上限 %(t)s 元（%(m)s 个月标准 × %(n)d 人）")
                if deposits <= limit
                else _("存款及有价证券 %(v)s 元，超过上限 %(t)s 元（%(m)s 个月标准 × %(n)d 人）")
            )
            % {"v": yuan(deposits), "t": yuan(limit), "m": yuan(months.value), "n": size},
            value=deposits,
            threshold=limit,
            source=months,
        )
    ]
    tests.append(_vehicle_test(r))
    for code, var, path, label in (
        ("assets.dwellings", "dwellings", "assets.max_dwellings", _("住房")),
        (
            "assets.business",
            "business_registrations",
            "assets.max_business_registrations",
            _("登记的经营主体"),
        ),
    ):
        source = r.param(path)
        value = r.hh(var)
        ok = value <= source.value
        tests.append(
            r.test(
                code,
                ok,
                (
                    _("%(what)s %(v)d，符合规定（不超过 %(t)s）")
                    if ok
                    else _("%(what)s %(v)d，超过规定（不超过 %(t)s）")
                )
                % {"what": label, "v": value, "t": yuan(source.value)},
                value=value,
                threshold=source.value,
                source=source,
            )
        )
    if r.param("assets.dwelling_area_test").value > 0:
        limit = r.param("assets.dwelling_area_per_head")
        area, per_head = r.hh("dwelling_area"), r.hh("dwelling_area_per_head")
        ok = bool(r.hh("dwelling_area_pass"))
        tests.append(
            r.test(
                "assets.dwelling_area",
                ok,
                (
                    _("住房建筑面积 %(a)s 平方米，人均 %(v)s 平方米，未超过%(where)s上限 %(t)s 平方米")
                    if ok
                    else _("住房建筑面积 %(a)s 平方米，人均 %(v)s 平方米，超过%(where)s上限 %(t)s 平方米")
                )
                % {
                    "a": yuan(area),
                    "v": yuan_compared(per_head, limit.value),
                    "where": _where(limit),
                    "t": yuan(limit.value),
                },
                value=per_head,
                threshold=limit.value,
                source=limit,
            )
        )
    return tests


def _vehicle_test(r: _Reader) -> Test:
    """Vehicles by number, and by value where the region tests it; a disabled member's
    功能性补偿代步机动车 is named as left out."""
    count, ok = r.hh("countable_vehicles"), bool(r.hh("vehicles_pass"))
    exempt = r.hh("disability_vehicles")
    by_value = r.param("assets.vehicle_value_test").value > 0
    if by_value:
        most, limit = r.param("assets.vehicle_value_max_vehicles"), r.param("assets.vehicle_value_limit")
        value = r.hh("countable_vehicle_value")
        text = (
            _("机动车辆 %(n)d 辆、价值 %(v)s 元，符合%(where)s规定（不超过 %(m)s 辆、总价值不超过 %(t)s 元）")
            if ok
            else _(
                "机动车辆 %(n)d 辆、价值 %(v)s 元，不符合%(where)s规定（不超过 %(m)s 辆、总价值不超过 %(t)s 元）"
            )
        ) % {
            "n": count,
            "v": yuan(value),
            "where": _where(limit),
            "m": yuan(most.value),
            "t": yuan(limit.value),
        }
        test_value, threshold, source = value, limit.value, limit
    else:
        source = r.param("assets.max_vehicles")
        text = (
            _("机动车辆 %(n)d 辆，符合规定（不超过 %(m)s 辆）")
            if ok
            else _("机动车辆 %(n)d 辆，超过规定（不超过 %(m)s 辆）")
        ) % {"n": count, "m": yuan(source.value)}
        test_value, threshold = count, source.value
    if exempt:
        text += _("（另有残疾人功能性补偿代步机动车 %(k)d 辆、价值 %(v)s 元，依规定不计入）") % {
            "k": exempt,
            "v": yuan(r.hh("disability_vehicle_value")),
        }
    return r.test("assets.vehicles", ok, text, value=test_value, threshold=threshold, source=source)


def _income_findings(r: _Reader) -> list[Test]:
    """Income the rules imputed (appealable) or left out by law, member by member."""
    tests = []
    imputed, exempt = r.pp("imputed_income"), r.pp("exempt_income")
    for i, amount in enumerate(imputed):
        if amount > 0:
            source = r.param("income.imputed_income")
            ages = r.pp("age")
            tests.append(
                r.test(
                    "income.imputed",
                    False,
                    _(
                        "%(name)s %(age)d 岁，有劳动能力、处于就业年龄而未就业，按%(where)s规定每月推算收入 %(a)s 元计入家庭收入"
                        "（依据：%(ref)s）；如本人因在校就读、照料家人等原因暂不能就业，可申请复核"
                    )
                    % {
                        "name": _member_name(r.facts, i),
                        "age": ages[i],
                        "where": _where(source),
                        "a": yuan(amount),
                        "ref": source.reference,
                    },
                    value=amount,
                    source=source,
                    member=i,
                    appealable=True,
                )
            )
    for i, amount in enumerate(exempt):
        if amount > 0:
            m = r.facts.members[i]
            used = [
                (kind, r.param(path))
                for kind, path in (
                    ("award_income", "income.exempt_award_share"),
                    ("compensation_income", "income.exempt_compensation_share"),
                    ("special_care_income", "income.exempt_special_care_share"),
                )
                if getattr(m, kind) and r.param(path).value > 0
            ]
            names = {
                "award_income": _("奖励性收入"),
                "compensation_income": _("一次性补偿、抚恤"),
                "special_care_income": _("优抚对象抚恤补助"),
            }
            source = used[0][1] if used else None
            refs = "；".join(dict.fromkeys(src.reference for _k, src in used if src.reference))
            tests.append(
                r.test(
                    "income.exempt",
                    True,
                    _("%(name)s的%(what)s共 %(a)s 元依法不计入家庭收入（依据：%(ref)s）")
                    % {
                        "name": _member_name(r.facts, i),
                        "what": _("、").join(str(names[k]) for k, _src in used),
                        "a": yuan(amount),
                        "ref": refs,
                    },
                    value=amount,
                    source=source,
                    member=i,
                )
            )
    return tests


def _sep() -> str:
    """Between the clauses of a summary: ``；`` in Chinese, ``; `` in English."""
    return pgettext("between the items of a list", "；")


def _stop() -> str:
    """The end of a summary: ``。`` in Chinese, ``.`` in English."""
    return pgettext("end of a sentence", "。")


def _failed(tests: list[Test]) -> str:
    return _sep().join(t.text for t in tests if not t.passed)


def _dibao(r: _Reader) -> ProgrammeDecision:
    std_src = _standard_source(r)
    std, iph = r.hh("dibao_standard"), r.hh("income_per_head")
    n = r.hh("assessed_size")
    where = _where(std_src)
    year = std_src.start[:4]
    income_ok = r.hh("dibao_income_pass")
    income_text = (
        _("家庭月人均收入 %(iph)s 元，低于%(where)s%(year)s年低保标准 %(std)s 元")
        if income_ok
        else _("家庭月人均收入 %(iph)s 元，不低于%(where)s%(year)s年低保标准 %(std)s 元")
    ) % {"iph": yuan_compared(iph, std), "where": where, "year": year, "std": yuan(std)}
    rigid = r.hh("rigid_expenditure")
    if rigid > 0:
        income_text += _(
            "（家庭月收入 %(inc)s 元，扣除医疗、教育刚性支出 %(rigid)s 元后按 %(n)d 人计算）"
        ) % {
            "inc": yuan(r.hh("household_income")),
            "rigid": yuan(rigid),
            "n": n,
        }
    tests = [r.test("dibao.income", income_ok, income_text, value=iph, threshold=std, source=std_src)]
    findings = _income_findings(r)
    tests += findings
    tests += _asset_tests(r, deposit_limit_var="deposit_limit", months_path="assets.deposit_months")
    tekun_n = r.hh("tekun_persons")
    if tekun_n:
        tests.append(
            r.test(
                "dibao.overlap_tekun",
                n > 0,
                (
                    _("%(k)d 名成员享受特困供养，不计入低保家庭人数和收入")
                    if n > 0
                    else _("全部成员均享受特困供养，不再纳入低保")
                )
                % {"k": tekun_n},
                value=tekun_n,
            )
        )
    regular, exiting = r.hh("dibao_regular_eligible"), r.hh("dibao_gradual_exit")
    lines: list[AmountLine] = []
    if regular:
        gap, addon, local = r.hh("dibao_gap_amount"), r.hh("dibao_addon_amount"), r.hh("dibao_local_amount")
        lines.append(
            _line(
                "dibao.gap",
                gap,
                _("按差额计算每月 %(gap)s 元（(%(std)s − %(iph)s) × %(n)d 人）")
                % {"gap": yuan(gap), "std": yuan(std), "iph": yuan_compared(iph, std), "n": n},
                std_src,
            )
        )
        lines += _addon_lines(r, std)
        if local:
            flat = r.param("dibao.addon.local_flat")
            lines.append(
                _line(
                    "dibao.local_flat",
                    local,
                    _("%(where)s定额增发 %(v)s 元（每人 %(f)s 元）")
                    % {"where": _where(flat), "v": yuan(local), "f": yuan(flat.value)},
                    flat,
                )
            )
        amount = r.hh("dibao_amount")
        lines.append(_rounding_line(r, "dibao.total", amount))
        summary = _sep().join([income_text, *[_bare(line) for line in lines[:-1]]]) + _(
            "；合计每月 %(a)s 元。"
        ) % {"a": yuan(amount)}
        if addon == 0 and local == 0 and yuan_decimal(gap) == yuan_decimal(amount):
            summary = income_text + _sep() + _bare(lines[0]) + _stop()
    elif exiting:
        share, duration = (
            r.param("dibao.gradual_exit.amount_share"),
            r.param("dibao.gradual_exit.duration_months"),
        )
        used = r.hh("gradual_exit_months_used")
        amount = r.hh("dibao_amount")
        tests.append(
            r.test(
                "dibao.gradual_exit",
                True,
                _("因就业增收收入超过标准，处于渐退期（已渐退 %(u)d 个月，渐退期 %(d)s 个月）")
                % {"u": used, "d": yuan(duration.value)},
                value=used,
                threshold=duration.value,
                source=duration,
            )
        )
        lines.append(
            _line(
                "dibao.gradual_exit",
                amount,
                _("渐退期内按原低保金 %(cur)s 元的 %(p)s%% 发放 %(a)s 元")
                % {
                    "cur": yuan(r.hh("dibao_current_amount")),
                    "p": yuan(share.value * 100),
                    "a": yuan(amount),
                },
                share,
                r.param("payment.rounding_unit"),
            )
        )
        summary = _sep().join([income_text, tests[-1].text, _bare(lines[-1])]) + _stop()
    else:
        amount = 0.0
        if r.hh("dibao_current_amount") > 0:
            tests.append(_gradual_exit_refusal(r))
        summary = _("不符合低保条件：%(why)s。") % {"why": _failed(tests)}
        single_tests, single_lines = _single_person(r)
        tests += single_tests
        if single_lines:
            lines += single_lines
            amount = r.hh("dibao_amount")
            lines.append(_rounding_line(r, "dibao.total", amount))
            summary = (
                _("全户不符合低保条件：%(why)s；") % {"why": _failed(tests[: len(tests) - len(single_tests)])}
                + _sep().join(_bare(line) for line in single_lines)
                + _("；合计每月 %(a)s 元。") % {"a": yuan(amount)}
            )
    appeal = [t.text for t in findings if t.appealable]
    if appeal and summary.endswith(_stop()):
        summary = summary.removesuffix(_stop()) + _sep() + _sep().join(appeal) + _stop()
    eligible = bool(regular or exiting or r.hh("dibao_single_persons"))
    return ProgrammeDecision("dibao", eligible, yuan_decimal(amount), summary, tests, lines)


def _single_person(r: _Reader) -> tuple[list[Test], list[AmountLine]]:
    """单人保, where the region applies it: each severely disabled or seriously ill adult of a
    低保边缘 household, assessed alone."""
    enabled = r.param("dibao.single_person.enabled")
    if enabled.value <= 0:
        return [], []
    candidates = [
        i
        for i, (present, assessed, child, severe, ill) in enumerate(
            zip(
                r.pp("present"),
                r.pp("assessed"),
                r.pp("is_child"),
                r.pp("is_severely_disabled"),
                r.pp("serious_illness"),
                strict=True,
            )
        )
        if present and assessed and not child and (severe or ill)
    ]
    if not candidates:
        return [], []
    std_src = _standard_source(r)
    std, iph = r.hh("dibao_standard"), r.hh("income_per_head")
    multiple = r.param("dibao.single_person.household_income_multiple")
    line_value = multiple.value * std
    eligible, amounts, income = (
        r.pp("dibao_single_eligible"),
        r.pp("dibao_single_amount"),
        r.pp("countable_income"),
    )
    shares = r.pp("dibao_addon_share")
    tests: list[Test] = []
    lines: list[AmountLine] = []
    household_ok = iph < line_value and bool(r.hh("assets_pass"))
    tests.append(
        r.test(
            "dibao.single_person.household",
            household_ok,
            (
                _("单人保：家庭月人均收入 %(v)s 元，低于低保标准的 %(m)s 倍即 %(t)s 元%(assets)s")
                if iph < line_value
                else _("单人保：家庭月人均收入 %(v)s 元，不低于低保标准的 %(m)s 倍即 %(t)s 元%(assets)s")
            )
            % {
                "v": yuan_compared(iph, line_value),
                "m": yuan(multiple.value),
                "t": yuan(line_value),
                "assets": _("，家庭财产符合规定") if r.hh("assets_pass") else _("，家庭财产不符合规定"),
            },
            value=iph,
            threshold=line_value,
            source=multiple,
        )
    )
    for i in candidates:
        name = _member_name(r.facts, i)
        own_ok = income[i] < std
        tests.append(
            r.test(
                "dibao.single_person.income",
                own_ok,
                (
                    _("%(name)s为重度残疾人或重病患者，本人月收入 %(v)s 元，低于低保标准 %(t)s 元")
                    if own_ok
                    else _("%(name)s为重度残疾人或重病患者，本人月收入 %(v)s 元，不低于低保标准 %(t)s 元")
                )
                % {"name": name, "v": yuan_compared(income[i], std), "t": yuan(std)},
                value=income[i],
                threshold=std,
                source=enabled,
                member=i,
            )
        )
        if eligible[i]:
            extra = shares[i] * std
            flat = r.param("dibao.addon.local_flat")
            text = _(
                "%(name)s按单人户纳入低保：(%(std)s − %(v)s) + 分类施保 %(e)s + 定额 %(f)s，每月 %(a)s 元"
            ) % {
                "name": name,
                "std": yuan(std),
                "v": yuan(income[i]),
                "e": yuan(extra),
                "f": yuan(flat.value),
                "a": yuan(amounts[i]),
            }
            lines.append(_line("dibao.single_person", amounts[i], text, enabled, std_src, flat, member=i))
    return tests, lines


def _bare(line: AmountLine) -> str:
    """The line's text without its citation (summaries cite once, at the end)."""
    return line.text.split(_("（依据："))[0]


def _gradual_exit_refusal(r: _Reader) -> Test:
    duration = r.param("dibao.gradual_exit.duration_months")
    ceiling = r.param("dibao.gradual_exit.income_ceiling_multiple")
    return r.test(
        "dibao.gradual_exit",
        False,
        _(
            "原为低保家庭，但不符合渐退条件（需因就业增收、人均收入低于标准的 %(c)s 倍、渐退未满 %(d)s 个月；已渐退 %(u)d 个月）"
        )
        % {"c": yuan(ceiling.value), "d": yuan(duration.value), "u": r.hh("gradual_exit_months_used")},
        value=r.hh("gradual_exit_months_used"),
        threshold=duration.value,
        source=duration,
    )


_ADDON_CATEGORIES = (
    ("is_elderly", "dibao.addon.elderly", gettext_lazy("老年人")),
    ("is_severely_disabled", "dibao.addon.severe_disability", gettext_lazy("重度残疾人")),
    ("is_child", "dibao.addon.child", gettext_lazy("未成年人")),
    ("serious_illness", "dibao.addon.serious_illness", gettext_lazy("重病患者")),
)


def _addon_lines(r: _Reader, std: float) -> list[AmountLine]:
    shares = r.pp("dibao_addon_share")
    flags = {var: r.pp(var) for var, _path, _label in _ADDON_CATEGORIES}
    lines = []
    for i, share in enumerate(shares):
        if share <= 0:
            continue
        # The category that set the share: the first whose rate equals it.
        for var, path, label in _ADDON_CATEGORIES:
            source = r.param(path)
            if flags[var][i] and abs(source.value - share) < 1e-6:
                amount = share * std
                lines.append(
                    _line(
                        "dibao.addon",
                        amount,
                        _("其中%(name)s为%(cat)s，%(where)s增发 %(a)s 元（标准的 %(p)s%%）")
                        % {
                            "name": _member_name(r.facts, i),
                            "cat": label,
                            "where": _where(source),
                            "a": yuan(amount),
                            "p": yuan(share * 100),
                        },
                        source,
                        member=i,
                    )
                )
                break
    return lines


def _tekun(r: _Reader) -> ProgrammeDecision:
    present = r.pp("present")
    no_labour, supporter = r.pp("no_labour_capacity"), r.pp("supported_capably")
    found, capable_n, expected = (
        r.pp("has_capable_supporter"),
        r.pp("capable_supporters"),
        r.pp("support_expected"),
    )
    capable_multiple = r.param("supporters.capable_income_multiple")
    income, basic, care = r.pp("countable_income"), r.pp("tekun_basic_standard"), r.pp("tekun_care_standard")
    eligible, amounts, ages = r.pp("tekun_eligible"), r.pp("tekun_amount"), r.pp("age")
    self_care = r.pp("self_care")
    assets_ok = r.hh("assets_pass")
    multiple = r.param("tekun.support.basic_multiple")
    tests: list[Test] = []
    lines: list[AmountLine] = []
    sentences = []
    for i in range(len(present)):
        if not present[i]:
            continue
        name = _member_name(r.facts, i)
        member_tests = [
            r.test(
                "tekun.no_labour_capacity",
                no_labour[i],
                (
                    _("%(name)s %(age)d 岁，无劳动能力")
                    if no_labour[i]
                    else _("%(name)s %(age)d 岁，有劳动能力")
                )
                % {"name": name, "age": ages[i]},
                value=ages[i],
                source=r.param("categories.elderly_age"),
                member=i,
            ),
        ]
        if no_labour[i]:
            member_tests += [
                r.test(
                    "tekun.no_supporter",
                    not supporter[i],
                    _supporter_text(r, i, found[i], capable_n[i], expected[i], capable_multiple),
                    value=capable_n[i],
                    threshold=capable_multiple.value,
                    source=capable_multiple,
                    member=i,
                ),
                r.test(
                    "tekun.income",
                    income[i] < basic[i],
                    (
                        _("本人月收入 %(v)s 元，低于特困基本生活标准 %(t)s 元")
                        if income[i] < basic[i]
                        else _("本人月收入 %(v)s 元，不低于特困基本生活标准 %(t)s 元")
                    )
                    % {"v": yuan(income[i]), "t": yuan(basic[i])},
                    value=income[i],
                    threshold=basic[i],
                    source=multiple,
                    member=i,
                ),
                r.test(
                    "tekun.assets",
                    assets_ok,
                    _("家庭财产符合规定") if assets_ok else _("家庭财产不符合规定"),
                    source=r.param("assets.deposit_months"),
                    member=i,
                ),
            ]
        tests += member_tests
        if eligible[i]:
            care_label = _enum_label(SelfCare, self_care[i])
            line = _(
                "%(name)s符合特困供养条件：基本生活费 %(b)s 元（低保标准的 %(m)s 倍）+ 照料护理费 %(c)s 元（%(care)s），每月 %(a)s 元"
            ) % {
                "name": name,
                "b": yuan(basic[i]),
                "m": yuan(multiple.value),
                "c": yuan(care[i]),
                "care": care_label,
                "a": yuan(amounts[i]),
            }
            lines.append(
                _line(
                    "tekun.member",
                    amounts[i],
                    line,
                    multiple,
                    r.param(_CARE_PATHS[_enum_name(SelfCare, self_care[i])]),
                    r.param("payment.rounding_unit"),
                    member=i,
                )
            )
            sentences.append(line)
        elif no_labour[i]:
            sentences.append(
                _("%(name)s不符合特困供养条件：%(why)s") % {"name": name, "why": _failed(member_tests)}
            )
    total = yuan_decimal(r.hh("tekun_household_amount"))
    if not any(no_labour[i] for i in range(len(present)) if present[i]):
        sentences.append(_("家庭成员均有劳动能力，不符合特困供养条件"))
    summary = _sep().join(sentences) + _stop()
    if total:
        summary = summary.removesuffix(_stop()) + _("；合计每月 %(a)s 元。") % {"a": yuan(total)}
    return ProgrammeDecision("tekun", bool(r.hh("tekun_persons")), total, summary, tests, lines)


_CARE_PATHS = {
    "none": "tekun.support.care_none",
    "partial": "tekun.support.care_partial",
    "full": "tekun.support.care_full_self_care",
}


def _supporter_text(r: _Reader, i: int, found: bool, capable: int, expected: float, multiple) -> str:
    listed = len(r.facts.members[i].supporters)
    line = yuan(multiple.value * r.hh("dibao_standard"))
    if capable:
        text = _(
            "%(n)d 名法定义务人中 %(c)d 名家庭月人均收入达到 %(l)s 元（低保标准的 %(m)s 倍），有赡养、抚养、扶养能力"
        ) % {
            "n": listed,
            "c": capable,
            "l": line,
            "m": yuan(multiple.value),
        }
        if expected > 0:
            text += _("，应计赡养费每月 %(e)s 元") % {"e": yuan(expected)}
        return text
    if found:
        return _("经认定有具备赡养、抚养、扶养能力的法定义务人")
    if listed:
        return _(
            "%(n)d 名法定义务人家庭月人均收入均低于 %(l)s 元（低保标准的 %(m)s 倍），无赡养、抚养、扶养能力"
        ) % {
            "n": listed,
            "l": line,
            "m": yuan(multiple.value),
        }
    return _("无法定赡养、抚养、扶养义务人")


def _enum_name(enum, value) -> str:
    member = value if isinstance(value, enum) else list(enum)[int(value)]
    return member.name


def _enum_label(enum, value) -> str:
    """The Chinese label of an enum value read back from a simulation (a member or its index)."""
    member = value if isinstance(value, enum) else list(enum)[int(value)]
    return str(member.value)


def _low_income_margin(r: _Reader) -> ProgrammeDecision:
    std_src = _standard_source(r)
    line = r.hh("low_income_line")
    iph = r.hh("income_per_head")
    multiple = r.param("low_income_margin.multiple")
    dibao = r.hh("dibao_eligible")
    tests = [
        r.test(
            "low_income_margin.not_dibao",
            not dibao,
            _("未享受低保") if not dibao else _("已享受低保，无需认定为低保边缘家庭"),
        ),
        r.test(
            "low_income_margin.income",
            iph < line,
            (
                _("家庭月人均收入 %(v)s 元，低于低保标准 %(s)s 元的 %(m)s 倍即 %(t)s 元")
                if iph < line
                else _("家庭月人均收入 %(v)s 元，不低于低保标准 %(s)s 元的 %(m)s 倍即 %(t)s 元")
            )
            % {"v": yuan(iph), "s": yuan(r.hh("dibao_standard")), "m": yuan(multiple.value), "t": yuan(line)},
            value=iph,
            threshold=line,
            source=multiple,
        ),
    ]
    assets = _asset_tests(
        r, deposit_limit_var="low_income_deposit_limit", months_path="low_income_margin.deposit_months"
    )
    tests += assets
    del std_src
    eligible = bool(r.hh("low_income_margin_eligible"))
    if eligible:
        summary = _("认定为低保边缘家庭：%(t)s，家庭财产符合规定；可享受医疗救助等专项救助。") % {
            "t": tests[1].text
        }
    elif dibao:
        summary = _("已享受低保，不另行认定。")
    else:
        summary = _("不符合低保边缘家庭条件：%(why)s。") % {"why": _failed(tests)}
    return ProgrammeDecision("low_income_margin", eligible, yuan_decimal(0), summary, tests)


def _temporary(r: _Reader) -> ProgrammeDecision:
    case = r.facts.temporary_case
    if case == "none":
        test = r.test("temporary_assistance.case", False, _("未提出临时救助事由"))
        return ProgrammeDecision(
            "temporary_assistance", False, yuan_decimal(0), _("未申请临时救助。"), [test]
        )
    label = TemporaryCase.__members__[case].value
    source = r.param(f"temporary_assistance.{case}")
    std, iph, line = r.hh("dibao_standard"), r.hh("income_per_head"), r.hh("low_income_line")
    supported = r.hh("dibao_eligible") or r.hh("tekun_persons") > 0 or r.hh("dibao_single_persons") > 0
    poor = iph < line
    tests = [
        r.test("temporary_assistance.case", True, _("事由：%(c)s") % {"c": label}, value=case, source=source),
    ]
    if r.hh("temporary_assistance_urgent"):
        urgent = r.param("temporary_assistance.urgent_without_income_test")
        tests.append(
            r.test(
                "temporary_assistance.urgent",
                True,
                _("属急难型临时救助（%(c)s），%(where)s规定不作收入审查、先行救助")
                % {"c": label, "where": _where(urgent)},
                source=urgent,
            )
        )
    else:
        tests.append(
            r.test(
                "temporary_assistance.need",
                supported or poor,
                (
                    _("已享受低保或特困供养")
                    if supported
                    else (
                        _("家庭月人均收入 %(v)s 元，低于低保边缘收入线 %(t)s 元")
                        if poor
                        else _("家庭月人均收入 %(v)s 元，不低于低保边缘收入线 %(t)s 元")
                    )
                    % {"v": yuan_compared(iph, line), "t": yuan(line)}
                ),
                value=iph,
                threshold=line,
                source=r.param("low_income_margin.multiple"),
            )
        )
    amount = yuan_decimal(r.hh("temporary_assistance_amount"))
    if amount:
        text = _("%(c)s：按 %(m)s 个月低保标准（%(s)s 元）一次性救助 %(a)s 元") % {
            "c": label,
            "m": yuan(source.value),
            "s": yuan(std),
            "a": yuan(amount),
        }
        return ProgrammeDecision(
            "temporary_assistance",
            True,
            amount,
            text + _stop(),
            tests,
            [_line("temporary_assistance.one_off", amount, text, source, r.param("payment.rounding_unit"))],
        )
    return ProgrammeDecision(
        "temporary_assistance",
        False,
        yuan_decimal(0),
        _("不符合临时救助条件：%(why)s。") % {"why": _failed(tests)},
        tests,
    )


def _medical(r: _Reader) -> ProgrammeDecision:
    rate = r.hh("medical_assistance_rate")
    tekun_costs, household_costs = r.hh("medical_expenses_tekun_12m"), r.hh("medical_expenses_household_12m")
    tekun_n = r.hh("tekun_persons")
    if rate <= 0 and tekun_n == 0:
        test = r.test("medical_assistance.category", False, _("不属于特困、低保或低保边缘家庭"))
        return ProgrammeDecision(
            "medical_assistance",
            False,
            yuan_decimal(0),
            _("不属于医疗救助对象（非特困、低保或低保边缘家庭）。"),
            [test],
        )
    cap, unit = r.param("medical_assistance.annual_cap"), r.param("payment.rounding_unit")
    tekun_rate = r.param("medical_assistance.rate_tekun")
    tests: list[Test] = []
    lines: list[AmountLine] = []
    texts: list[str] = []
    if tekun_n:
        text = _(
            "%(k)d 名特困人员本人自付费用 %(v)s 元，按 %(p)s%% 救助 %(a)s 元（不再作为低保家庭刚性支出扣减）"
        ) % {
            "k": tekun_n,
            "v": yuan(tekun_costs),
            "p": yuan(tekun_rate.value * 100),
            "a": yuan(tekun_costs * tekun_rate.value),
        }
        tests.append(
            r.test(
                "medical_assistance.category",
                True,
                _("特困人员，救助比例 %(p)s%%") % {"p": yuan(tekun_rate.value * 100)},
                value=tekun_rate.value,
                source=tekun_rate,
            )
        )
        if tekun_costs > 0:
            lines.append(_line("medical_assistance.tekun", tekun_costs * tekun_rate.value, text, tekun_rate))
            texts.append(_bare(lines[-1]))
    if rate > 0 and r.hh("assessed_size") > 0:
        if r.hh("dibao_eligible"):
            path, cat = "medical_assistance.rate_dibao", _("低保家庭")
        else:
            path, cat = "medical_assistance.rate_low_income", _("低保边缘家庭")
        source = r.param(path)
        deductible = r.hh("medical_assistance_deductible")
        tests += [
            r.test(
                "medical_assistance.category",
                True,
                _("属于%(c)s，救助比例 %(p)s%%") % {"c": cat, "p": yuan(rate * 100)},
                value=rate,
                source=source,
            ),
            r.test(
                "medical_assistance.expenses",
                household_costs > deductible,
                _("近12个月医保报销后自付费用（特困人员本人的除外）%(v)s 元，起付标准 %(t)s 元")
                % {"v": yuan(household_costs), "t": yuan(deductible)},
                value=household_costs,
                threshold=deductible,
                source=r.param("medical_assistance.deductible_low_income") if deductible else None,
            ),
        ]
        part = max(household_costs - deductible, 0) * rate
        if part > 0:
            text = _("按（%(v)s − %(d)s）× %(p)s%% 救助 %(a)s 元") % {
                "v": yuan(household_costs),
                "d": yuan(deductible),
                "p": yuan(rate * 100),
                "a": yuan(part),
            }
            lines.append(_line("medical_assistance.household", part, text, source))
            texts.append(_bare(lines[-1]))
    elif rate > 0 and household_costs > 0:  # every member present is 特困: the unattributed costs are theirs
        part = household_costs * rate
        lines.append(
            _line(
                "medical_assistance.household",
                part,
                _("其他自付费用 %(v)s 元按特困人员比例救助 %(a)s 元")
                % {"v": yuan(household_costs), "a": yuan(part)},
                tekun_rate,
            )
        )
        texts.append(_bare(lines[-1]))
    amount = yuan_decimal(r.hh("medical_assistance_amount"))
    if amount:
        lines.append(
            _line(
                "medical_assistance.total",
                amount,
                _("合计救助 %(a)s 元（年度限额 %(cap)s 元，计发舍入按规定）")
                % {"a": yuan(amount), "cap": yuan(cap.value)},
                cap,
                unit,
            )
        )
        summary = _sep().join([tests[0].text, *texts]) + _("；合计 %(a)s 元。") % {"a": yuan(amount)}
        return ProgrammeDecision("medical_assistance", True, amount, summary, tests, lines)
    return ProgrammeDecision(
        "medical_assistance", True, yuan_decimal(0), tests[0].text + _("；暂无可救助的自付医疗费用。"), tests
    )


def _disability(r: _Reader) -> ProgrammeDecision:
    present, grades = r.pp("present"), r.pp("disability_grade")
    living, care = r.pp("living_subsidy"), r.pp("care_subsidy")
    tekun, severe = r.pp("tekun_eligible"), r.pp("is_severely_disabled")
    dibao = r.hh("dibao_eligible")
    tests, lines, sentences = [], [], []
    for i in range(len(present)):
        if not present[i] or grades[i] == 0:
            continue
        name = _member_name(r.facts, i)
        if living[i]:
            src = r.param(
                "disability_subsidies.living_subsidy_severe"
                if severe[i]
                else "disability_subsidies.living_subsidy_other"
            )
            text = _("%(name)s（%(g)d级残疾）享受困难残疾人生活补贴 %(a)s 元") % {
                "name": name,
                "g": grades[i],
                "a": yuan(living[i]),
            }
            tests.append(
                r.test("disability.living_subsidy", True, text, value=grades[i], source=src, member=i)
            )
            lines.append(_line("disability.living_subsidy", living[i], text, src, member=i))
        else:
            why = (
                _("已享受特困供养，不重复享受生活补贴")
                if tekun[i]
                else (_("家庭未享受低保") if not dibao else _("不符合条件"))
            )
            text = _("%(name)s（%(g)d级残疾）不享受困难残疾人生活补贴：%(why)s") % {
                "name": name,
                "g": grades[i],
                "why": why,
            }
            tests.append(r.test("disability.living_subsidy", False, text, value=grades[i], member=i))
        if care[i]:
            src = r.param(
                "disability_subsidies.care_subsidy_grade1"
                if grades[i] == 1
                else "disability_subsidies.care_subsidy_grade2"
            )
            text = _("%(name)s（%(g)d级重度残疾）享受重度残疾人护理补贴 %(a)s 元") % {
                "name": name,
                "g": grades[i],
                "a": yuan(care[i]),
            }
            tests.append(r.test("disability.care_subsidy", True, text, value=grades[i], source=src, member=i))
            lines.append(_line("disability.care_subsidy", care[i], text, src, member=i))
        else:
            src = r.param("categories.severe_disability_max_grade")
            text = _("%(name)s（%(g)d级残疾）非重度残疾，不享受护理补贴") % {"name": name, "g": grades[i]}
            tests.append(
                r.test(
                    "disability.care_subsidy",
                    False,
                    text,
                    value=grades[i],
                    threshold=src.value,
                    source=src,
                    member=i,
                )
            )
        sentences.append(_sep().join(t.text for t in tests[-2:]))
    total = yuan_decimal(r.hh("living_subsidy_amount")) + yuan_decimal(r.hh("care_subsidy_amount"))
    if not sentences:
        summary = _("家庭成员中无持证残疾人。")
        tests.append(r.test("disability.none", False, summary))
    else:
        summary = _sep().join(sentences) + (_("；合计每月 %(a)s 元。") % {"a": yuan(total)} if total else _stop())
    return ProgrammeDecision("disability_subsidies", total > 0, total, summary, tests, lines)
