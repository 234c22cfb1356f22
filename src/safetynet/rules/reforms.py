"""Reforms for policy simulation: a named set of parameter changes, from a file or a web form.

A reform file (YAML or JSON)::

    name: 示范市城市低保标准提高到 1000 元
    changes:
      - path: dibao.standard.urban
        region: "990100000000"      # a 12-digit city/county code, or "default"
        start: 2025-07-01
        value: 1000
        reference: 示政发〔2025〕xx号（拟）

Changes are applied, as an OpenFisca ``Reform``, on top of the rules in force.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from safetynet.rules.errors import InvalidReform
from safetynet.rules.system import (
    ParameterChangeSpec,
    is_regional_key,
    regional_parameter_paths,
    system_with_changes,
)


@dataclass(frozen=True)
class ReformSpec:
    name: str
    changes: tuple[ParameterChangeSpec, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "changes": [
                {"path": c.path, "region": c.region_key, "start": c.start.isoformat(), "value": c.value}
                for c in self.changes
            ],
        }


def reform_parse(data: Any) -> ReformSpec:
    """Validate a reform given as plain data (a parsed file or a form)."""
    if not isinstance(data, dict) or not isinstance(data.get("changes"), list) or not data["changes"]:
        raise InvalidReform(_("改革方案应包含 changes 列表，且至少一项参数调整"))
    paths = set(regional_parameter_paths())
    changes = []
    for i, raw in enumerate(data["changes"], start=1):
        if not isinstance(raw, dict):
            raise InvalidReform(_("第 %(i)d 项调整格式无效") % {"i": i}, item=i)
        path, region = str(raw.get("path", "")), str(raw.get("region", "default"))
        if path not in paths:
            raise InvalidReform(_("第 %(i)d 项：未知参数 %(p)s") % {"i": i, "p": path}, item=i, path=path)
        if not is_regional_key(region):
            raise InvalidReform(_("第 %(i)d 项：区划代码 %(r)s 无效") % {"i": i, "r": region}, item=i)
        try:
            start = (
                raw["start"]
                if isinstance(raw.get("start"), dt.date)
                else dt.date.fromisoformat(str(raw["start"]))
            )
            value = float(raw["value"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidReform(
                _("第 %(i)d 项：生效日期或数值无效") % {"i": i}, item=i, error=str(exc)
            ) from exc
        if value < 0:
            raise InvalidReform(_("第 %(i)d 项：数值不能为负") % {"i": i}, item=i)
        changes.append(
            ParameterChangeSpec(
                path=path,
                region_key=region,
                start=start,
                value=value,
                reference=str(raw.get("reference", "")),
            )
        )
    return ReformSpec(name=str(data.get("name") or _("未命名方案")), changes=tuple(changes))


def reform_load(path: Path) -> ReformSpec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidReform(_("无法读取改革方案文件：%(p)s") % {"p": str(path)}, error=str(exc)) from exc
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidReform(_("改革方案文件格式无效"), error=str(exc)) from exc
    return reform_parse(data)


def reform_system(spec: ReformSpec, *, base: TaxBenefitSystem) -> TaxBenefitSystem:
    """The rules of ``base`` with the reform's changes applied (an OpenFisca Reform)."""
    return system_with_changes(base, list(spec.changes), "reform")
