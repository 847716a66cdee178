"""The one confusion-matrix picture of `onetrip eval` (matters' departments) and `onetrip eval-routing`."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional, Sequence


def cjk_fonts() -> List[str]:
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Source Han", "SimHei", "Microsoft YaHei",
              "PingFang", "AR PL", "Droid Sans Fallback")
    names = {f.name for f in font_manager.fontManager.ttflist}
    return [n for n in names if any(n.startswith(w) for w in wanted)]


def confusion_png(labels: Sequence[str], grid: Sequence[Sequence[int]], path: Path, title: str,
                  chinese: Callable[[], Sequence[str]], per_row: bool, title_size: Optional[float] = None) -> None:
    """Expected departments down, predicted across, each cell's count written in. ``chinese`` gives
    the labels' Chinese names, used only when a CJK font is installed. ``per_row``: colour by each
    row's shares, so a small department's errors show as clearly as a big one's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fonts = cjk_fonts()
    shown = list(labels)
    if fonts:
        plt.rcParams["font.sans-serif"] = fonts + plt.rcParams["font.sans-serif"]
        shown = list(chinese())
    n = len(labels)
    size = max(7.0, 0.5 * n + 3) if per_row else max(6.0, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    if per_row:
        shade = [[v / max(1, sum(row)) for v in row] for row in grid]
        ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
        dark = 0.5
    else:
        shade = [list(row) for row in grid]
        ax.imshow(shade, cmap="Blues")
        dark = max(map(max, grid)) / 2 if n else 0
    ax.set_xticks(range(n), shown, rotation=90, fontsize=8)
    ax.set_yticks(range(n), shown, fontsize=8)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                        color="white" if shade[i][j] > dark else "black")
    ax.set_xlabel("predicted department")
    ax.set_ylabel("expected department")
    ax.set_title(title, **({"fontsize": title_size} if title_size else {}))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
