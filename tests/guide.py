"""The user guide is written by the story tests as they work: each step a screenshot and one sentence, per role and per
language, into docs/guide/<lang>/<role>.md (pictures under docs/guide/img/). A guide is never stale: a screen that
changed is photographed again by the next run, and a step that no longer works fails its test.

    guide = Guide("purchaser", "zh", "采购员的一天", "A purchaser's day")
    guide.step(page, "在后台打开“请购单”。", "Open Requisitions in the back office.")
    ...
    guide.write()   # at the end of the story: the page of that role in that language

Several stories may add to one role's guide: each writes its own part (`part`), and the role's page lists the parts in
name order."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide"
ROLES = {
    "warehouse": ("仓库作业员", "Warehouse worker"),
    "purchaser": ("采购员", "Purchaser"),
    "approver": ("审批人", "Approver"),
    "sales": ("销售员", "Salesperson"),
    "finance": ("财务", "Finance clerk"),
    "admin": ("系统管理员", "Administrator"),
}


class Guide:
    """One part of a role's guide in one language: numbered steps, each a picture of the screen and one sentence."""

    def __init__(self, role: str, lang: str, part: str, title_zh: str, title_en: str) -> None:
        assert role in ROLES and lang in ("zh", "en")
        self.role, self.lang, self.part = role, lang, part
        self.title = title_zh if lang == "zh" else title_en
        self.steps: list[tuple[str, str]] = []

    def step(self, page, zh: str, en: str, *, full_page: bool = False) -> None:  # type: ignore[no-untyped-def]
        """Photograph what the page shows now, with the sentence that says what the person does or sees."""
        sentence = zh if self.lang == "zh" else en
        name = f"{self.lang}-{self.role}-{self.part}-{len(self.steps) + 1:02d}.png"
        (GUIDE / "img").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=GUIDE / "img" / name, full_page=full_page)
        self.steps.append((name, sentence))

    def write(self) -> None:
        """This part's page (docs/guide/<lang>/<role>-<part>.md), and the role's page listing its parts."""
        folder = GUIDE / self.lang
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"# {self.title}", ""]
        for number, (image, sentence) in enumerate(self.steps, 1):
            lines += [f"{number}. {sentence}", "", f"   ![{number}](../img/{image})", ""]
        (folder / f"{self.role}-{self.part}.md").write_text("\n".join(lines), encoding="utf-8")
        self._index()

    def _index(self) -> None:
        folder = GUIDE / self.lang
        zh, en = ROLES[self.role]
        parts = sorted(folder.glob(f"{self.role}-*.md"))
        titles = [(path.name, re.match(r"# (.*)", path.read_text(encoding="utf-8")).group(1)) for path in parts]  # type: ignore[union-attr]
        heading = zh if self.lang == "zh" else en
        (folder / f"{self.role}.md").write_text(
            "\n".join([f"# {heading}", "", *[f"- [{title}]({name})" for name, title in titles], ""]), encoding="utf-8")
