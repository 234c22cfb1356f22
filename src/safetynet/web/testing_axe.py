"""axe-core in the browser tests: inject the vendored ``axe.min.js`` (axe-core from npm, MPL-2.0,
checked in under ``web/tests/axe/``) into a Playwright page and read its violations; and a small
recorder of a journey's screens, clicks and axe totals for the issue notes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

AXE_JS = Path(__file__).parent / "tests" / "axe" / "axe.min.js"

#: WCAG 2.1 A and AA plus best practice (heading order, landmarks): what the platform promises.
AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
                                 targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as an inline <script>: the pages' CSP
        # (script-src 'self' with nonces) rightly refuses injected script tags.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(AXE_RUN)


@dataclass
class Journey:
    """One user's path through the pages: every screen is checked by axe as it is reached."""

    name: str
    page: object
    screens: list[str] = field(default_factory=list)
    clicks: int = 0
    violations: list[dict] = field(default_factory=list)

    def screen(self, label: str) -> None:
        self.page.wait_for_load_state()
        self.screens.append(label)
        for v in axe_violations(self.page):
            self.violations.append({"screen": label, **v})

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()

    def summary(self) -> dict:
        return {"journey": self.name, "screens": len(self.screens), "clicks": self.clicks,
                "screen_names": self.screens, "axe_violations": len(self.violations),
                "axe_nodes": sum(v["nodes"] for v in self.violations), "details": self.violations}

    def finish(self) -> dict:
        """Write the summary where ``SAFETYNET_JOURNEY_LOG`` says (a folder), and return it."""
        out = self.summary()
        folder = os.environ.get("SAFETYNET_JOURNEY_LOG")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / f"{self.name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
        return out
