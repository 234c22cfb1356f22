"""Evaluation of the policy answers on ``evaluation.yaml``: top-1 and top-3 accuracy, and how often
"not found" is said when it should be, per set (dev / holdout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from safetynet.portal.policy.search import policy_answer

QUESTIONS = Path(__file__).with_name("evaluation.yaml")


@dataclass
class EvaluationResult:
    n: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[dict] = field(default_factory=list)

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.n if self.n else 0.0

    @property
    def top3_accuracy(self) -> float:
        return self.top3 / self.n if self.n else 0.0


def evaluation_questions() -> list[dict]:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]


def evaluate(sets: tuple[str, ...] = ("dev", "holdout")) -> dict[str, EvaluationResult]:
    """A question counts at top-k when one of its correct articles is among the first k passages;
    a question the corpus does not cover counts (at both) when the answer is "not found"."""
    results = {name: EvaluationResult() for name in (*sets, "all")}
    for item in evaluation_questions():
        if item["set"] not in sets:
            continue
        answer = policy_answer(question=item["q"])
        got = [p.article.key for p in answer.passages] if answer.found else []
        expect = item["expect"]
        if expect == "none":
            hit1 = hit3 = not answer.found
        else:
            hit1 = bool(got[:1]) and got[0] in expect
            hit3 = any(k in expect for k in got[:3])
        for name in (item["set"], "all"):
            r = results[name]
            r.n += 1
            r.top1 += hit1
            r.top3 += hit3
            if not hit3:
                r.misses.append({"q": item["q"], "expect": expect, "got": got})
    return results
