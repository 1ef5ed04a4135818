"""What a browser test checks on every screen it visits: axe-core's serious and critical accessibility rules, and that
nothing is wider than the screen."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
_RUN = """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`)"""


def accessibility_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on what the page shows now (axe is put in the page on first use)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(_RUN)


def overflowing(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Elements that reach beyond the right edge of the screen (the page would scroll sideways)."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth;
      const clipped = (el) => {  // inside a box of its own that scrolls or clips sideways and itself fits the screen
        for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
          if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(box).overflowX)) return box.getBoundingClientRect().right <= width + 1;
        }
        return false;
      };
      const out = [];
      for (const el of document.querySelectorAll("body *")) {
        if (!el.checkVisibility({ visibilityProperty: true })) continue;  // not drawn: in a folded <details>, hidden
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1 && !clipped(el)) {
          out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "")
            + ` "${(el.textContent || "").trim().slice(0, 30)}" (${Math.round(box.left)}–${Math.round(box.right)} of ${width})`);
        }
      }
      return [...new Set(out)].slice(0, 10);
    }""")
