"""Server-side SVG charts of the vendor analytics page: coordinates computed here, drawn
by the template (templates/inventory/_charts.html). No JavaScript, no inline style: the
content security policy allows neither; colours come from classes in the stylesheet.

Each chart has a viewBox and scales to its container's width. The bar lists are narrow
(400 units) so that their text stays readable when a phone shrinks them."""

WEEKS_WIDTH, WEEKS_HEIGHT, PAD = 640, 200, 28
BARS_WIDTH, BAR_ROW, BAR_HEIGHT, LABEL_GAP = 400, 36, 12, 16


def weekly_chart(weekly):
    """Columns of units sold per week; None when nothing was sold at all."""
    values = [float(units) for _start, units in weekly]
    if not values or max(values) <= 0:
        return None
    peak = max(values)
    inner_w, inner_h = WEEKS_WIDTH - 2 * PAD, WEEKS_HEIGHT - 2 * PAD
    slot = inner_w / len(values)
    bar = max(1.0, slot * 0.75)
    bars = []
    for index, ((start, units), value) in enumerate(zip(weekly, values, strict=True)):
        height = max(0.0, value) / peak * inner_h
        bars.append(
            {
                "x": f"{PAD + index * slot + (slot - bar) / 2:.1f}",
                "y": f"{WEEKS_HEIGHT - PAD - height:.1f}",
                "width": f"{bar:.1f}",
                "height": f"{height:.1f}",
                "title": f"Week from {start:%-d %b %Y}: {units:,.0f} units",
            }
        )
    return {
        "width": WEEKS_WIDTH, "height": WEEKS_HEIGHT, "pad": PAD, "bars": bars,
        "peak": f"{peak:,.0f}", "bottom": WEEKS_HEIGHT - PAD, "right": WEEKS_WIDTH - PAD,
        "first": weekly[0][0], "last": weekly[-1][0],
    }  # fmt: skip


def bar_list(items):
    """Horizontal bars, one per (label, value, value text); None when all are zero."""
    items = list(items)
    peak = max([float(value) for _label, value, _text in items] + [0.0])
    if peak <= 0:
        return None
    rows = []
    for index, (label, value, text) in enumerate(items):
        top = index * BAR_ROW
        rows.append(
            {
                "label": label,
                "text": text,
                "label_y": top + 12,
                "bar_y": top + LABEL_GAP,
                "width": f"{max(0.0, float(value)) / peak * (BARS_WIDTH - 2):.1f}",
            }
        )
    return {
        "width": BARS_WIDTH,
        "height": len(items) * BAR_ROW,
        "bar_height": BAR_HEIGHT,
        "rows": rows,
        "right": BARS_WIDTH,
    }
