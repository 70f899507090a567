"""Chart geometry for inline SVG (no JavaScript, no CDN): the template draws what this computes."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT, PAD = 320, 120, 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    """Bars (one series) and an optional line (a second series) over the same days."""

    title: str
    bars: list[Bar]
    line: str = ""
    """SVG polyline points of the second series, scaled to the same axis."""
    top: int = 0
    """The value at the top of the axis."""
    width: int = WIDTH
    height: int = HEIGHT
    rows: list[tuple[str, int, int | None]] = field(default_factory=list)
    """The data as a table (label, bar value, line value) for screen readers and print."""


def chart(title: str, labels: list[str], values: list[int], line: list[int] | None = None) -> Chart:
    top = max([1, *values, *(line or [])])
    count = max(1, len(values))
    step = (WIDTH - 2 * PAD) / count
    inner = HEIGHT - 2 * PAD
    bars = []
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = inner * max(value, 0) / top
        bars.append(
            Bar(
                x=round(PAD + n * step + step * 0.1, 2),
                y=round(HEIGHT - PAD - height, 2),
                width=round(step * 0.8, 2),
                height=round(height, 2),
                label=label,
                value=value,
            )
        )
    points = ""
    if line is not None:
        points = " ".join(
            f"{PAD + (n + 0.5) * step:.2f},{HEIGHT - PAD - inner * max(v, 0) / top:.2f}"
            for n, v in enumerate(line)
        )
    rows = [
        (label, value, None if line is None else line[n])
        for n, (label, value) in enumerate(zip(labels, values, strict=True))
    ]
    return Chart(title, bars, points, top, rows=rows)
