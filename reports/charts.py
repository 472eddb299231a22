"""Charts of the evaluation report as inline SVG drawn here, so the report needs no script and works offline."""

from __future__ import annotations

from markupsafe import Markup, escape

FONT = "'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif"
AXIS = "#6b7280"
GRID = "#e5e7eb"
# One colour per evaluation band, the same in charts and tables.
BAND_COLOURS = {
    "优秀": "#15803d",
    "良好": "#65a30d",
    "合格": "#ca8a04",
    "不合格": "#dc2626",
    "否决": "#7f1d1d",
    "未评分": "#9ca3af",
}
SEVERITY_COLOURS = {"veto": "#7f1d1d", "deduct": "#dc2626", "warn": "#d97706"}


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" font-family="{FONT}" font-size="12" aria-label="{escape(label)}">'
            f'<title>{escape(label)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def column_chart(bars: list[tuple[str, int, str]], label: str, width: int = 640, height: int = 260) -> Markup:
    """Vertical bars: (category, count, colour); used for the score distribution."""
    left, right, top, bottom = 40, 10, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([c for _, c, _ in bars] + [1])
    step = _nice_step(peak)
    top_value = step * -(-peak // step)
    body = []
    for tick in range(0, top_value + 1, step):
        y = top + plot_h - plot_h * tick / top_value
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS}">{tick}</text>')
    slot = plot_w / max(len(bars), 1)
    bar_w = slot * 0.62
    for i, (name, count, colour) in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        h = plot_h * count / top_value
        y = top + plot_h - h
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}" rx="2">'
                    f'<title>{escape(name)}：{count}</title></rect>')
        body.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="#111827">{count}</text>')
        body.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18:.1f}" text-anchor="middle" '
                    f'fill="#374151">{escape(name)}</text>')
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    return _svg(width, height, body, label)


def bar_chart(rows: list[tuple[str, float, str]], label: str, maximum: float | None = None,
              marker: tuple[float, str] | None = None, width: int = 720, row_h: int = 22,
              label_w: int = 220) -> Markup:
    """Horizontal bars: (name, value, colour); `marker` draws a dashed line such as the pass line."""
    top, bottom, right = 10, 24, 50
    height = top + bottom + row_h * max(len(rows), 1)
    plot_w = width - label_w - right
    peak = maximum if maximum else max([v for _, v, _ in rows] + [1])
    body = []
    for i, (name, value, colour) in enumerate(rows):
        y = top + row_h * i
        w = plot_w * max(value, 0) / peak if peak else 0
        shown = name if len(name) <= 16 else name[:15] + "…"
        body.append(f'<text x="{label_w - 8}" y="{y + row_h * 0.68:.1f}" text-anchor="end" fill="#374151">'
                    f'{escape(shown)}<title>{escape(name)}</title></text>')
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}" rx="2">'
                    f'<title>{escape(name)}：{_fmt(value)}</title></rect>')
        body.append(f'<text x="{label_w + w + 5:.1f}" y="{y + row_h * 0.68:.1f}" fill="#111827">{_fmt(value)}</text>')
    base = top + row_h * max(len(rows), 1)
    body.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{base}" stroke="{AXIS}"/>')
    if marker and peak:
        value, text = marker
        x = label_w + plot_w * value / peak
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="#dc2626" '
                    f'stroke-dasharray="4 3"/>')
        body.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" fill="#dc2626">{escape(text)}</text>')
    return _svg(width, height, body, label)


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if peak / step <= 6:
            return step
    return 10 ** len(str(peak))
