"""Reliability diagram as a PNG, drawn with Pillow (matplotlib is not a dependency of the project)."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PANEL, MARGIN = 360, 48


def _panel(draw: ImageDraw.ImageDraw, left: int, title: str, figures: dict, font) -> None:
    top, bottom, right = MARGIN, MARGIN + PANEL, left + PANEL

    def x(v):
        return left + v * PANEL

    def y(v):
        return bottom - v * PANEL

    draw.rectangle([left, top, right, bottom], outline="black")
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        draw.line([x(tick), bottom, x(tick), bottom + 4], fill="black")
        draw.text((x(tick) - 10, bottom + 6), f"{tick:.2f}", fill="black", font=font)
        draw.line([left - 4, y(tick), left, y(tick)], fill="black")
        draw.text((left - 34, y(tick) - 6), f"{tick:.2f}", fill="black", font=font)
    for row in figures["calibration_bins"]:
        if row["count"]:
            draw.rectangle(
                [x(row["low"]) + 2, y(row["fraction_covid"]), x(row["high"]) - 2, bottom],
                fill=(90, 140, 200),
                outline=(40, 70, 120),
            )
            draw.text((x(row["low"]) + 4, top - 14), str(row["count"]), fill="grey", font=font)
    draw.line([x(0), y(0), x(1), y(1)], fill="red", width=2)
    draw.text((left, 8), f"{title}  ECE {figures['expected_calibration_error']:.3f}", fill="black", font=font)
    draw.text((left + PANEL // 2 - 50, bottom + 22), "predicted P(covid)", fill="black", font=font)


def draw(panels: dict[str, dict], path: Path) -> Path:
    """One panel per scorer (its evaluate figures): observed covid fraction per P(covid) bin as bars, image
    counts on top, the ideal as a red line."""
    width = len(panels) * (PANEL + 2 * MARGIN)
    image = Image.new("RGB", (width, PANEL + 2 * MARGIN + 10), "white")
    pen, font = ImageDraw.Draw(image), ImageFont.load_default()
    for i, (title, figures) in enumerate(panels.items()):
        _panel(pen, MARGIN + i * (PANEL + 2 * MARGIN), title, figures, font)
    pen.text((4, PANEL + 2 * MARGIN - 4), "y: observed fraction covid", fill="black", font=font)
    image.save(path)
    return path
