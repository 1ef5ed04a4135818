"""Label benchmark: how fast a batch of bin labels comes out as ZPL, as a PDF of A4 sheets, and as PNGs.

    python bench/labels.py [--labels 1000] [--rounds 5]

Prints, for a batch of N bin labels (Code 128 and QR each, Chinese names): the median seconds over the rounds and labels
per second for ZPL (203 dpi), a PDF of A4 sheets (3 × 8, the CJK font embedded) and single PNGs (203 dpi). The formats
are measured in alternating rounds so a noisy machine affects them alike. Goals: 1,000 ZPL labels in under 1 s, a
1,000-label PDF in under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels import render, templates  # noqa: E402
from labels.layout import cjk_font  # noqa: E402


def batch(n: int) -> list[templates.Label]:  # type: ignore[name-defined]
    """Building the labels (encoding the symbols) is part of every format's time: each round builds them afresh."""
    return [templates.build("location", templates.Bin(f"WH1-{n // 400:02}-{n // 20 % 20:02}-{n % 20:02}", "WH1", "冷藏区 A 排"), "a4-3x8")
            for n in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sheet = templates.SIZES["a4-3x8"].sheet
    formats = {
        "zpl": lambda labels: render.zpl_batch(labels),
        "pdf": lambda labels: render.pdf(labels, sheet=sheet),
        "png": lambda labels: [render.png(label) for label in labels],
    }
    print(f"{args.labels} bin labels (Code 128 + QR + Chinese text), {args.rounds} alternating rounds; CJK font: {cjk_font()}")
    batch(10)  # warm the font and encoder caches
    times: dict[str, list[float]] = {name: [] for name in formats}
    sizes: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, make in formats.items():
            start = time.perf_counter()
            out = make(batch(args.labels))
            times[name].append(time.perf_counter() - start)
            sizes[name] = len(out) if isinstance(out, str | bytes) else sum(len(p) for p in out)
    for name, rounds in times.items():
        median = statistics.median(rounds)
        print(f"  {name:4}  {median:7.3f} s  {args.labels / median:9.0f} labels/s   ({sizes[name] / 1024:,.0f} KiB; rounds "
              + " ".join(f"{r:.2f}" for r in rounds) + ")")
    zpl, pdf = statistics.median(times["zpl"]), statistics.median(times["pdf"])
    scale = 1000 / args.labels
    print(f"goals: 1,000 ZPL labels {zpl * scale:.2f} s (< 1 s); a 1,000-label PDF {pdf * scale:.2f} s (< 10 s)")


if __name__ == "__main__":
    main()
