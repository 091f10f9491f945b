"""A server-side SVG chart of an item's daily demand and its forecast: no JavaScript, no
charting library; the template draws the polylines this computes."""

import datetime

WIDTH, HEIGHT, PAD = 720, 220, 30


def demand_chart(history, forecast, last_day):
    """history: daily demand ending on last_day (None = out of stock); forecast: the days
    after it. Returns the SVG's coordinates, or None when there is nothing to draw."""
    days = len(history) + len(forecast)
    if days < 2:
        return None
    peak = max([v for v in history if v is not None] + list(forecast) + [1.0])
    step = (WIDTH - 2 * PAD) / (days - 1)

    def point(index, value):
        return f"{PAD + index * step:.1f},{HEIGHT - PAD - (value / peak) * (HEIGHT - 2 * PAD):.1f}"

    segments, current = [], []
    for index, value in enumerate(history):
        if value is None:  # a stock-out day: a gap in the line
            if current:
                segments.append(" ".join(current))
            current = []
        else:
            current.append(point(index, value))
    if current:
        segments.append(" ".join(current))
    start = len(history) - 1 if history and history[-1] is not None else len(history)
    anchor = [point(start, history[-1])] if start == len(history) - 1 else []
    projected = " ".join(anchor + [point(len(history) + i, v) for i, v in enumerate(forecast)])
    first_day = last_day - datetime.timedelta(days=len(history) - 1)
    return {
        "width": WIDTH, "height": HEIGHT, "pad": PAD, "history": segments, "forecast": projected,
        "peak": round(peak, 1), "first_day": first_day, "last_day": last_day,
        "today_x": f"{PAD + (len(history) - 1) * step:.1f}", "bottom": HEIGHT - PAD, "right": WIDTH - PAD,
        "last_forecast_day": last_day + datetime.timedelta(days=len(forecast)),
    }  # fmt: skip
