"""A digit drawn as pen strokes on a blank canvas, the way the demo's sketchpad sends it.

For trying the digit reader without a mouse: lesson 9, the tests and the benchmarks draw
their digits with :func:`draw_strokes`.
"""

from PIL import Image, ImageDraw

SKETCHPAD_SIDE = 280  # the demo's canvas is 280 x 280 pixels


def draw_strokes(strokes, width: int = 20, side: int = SKETCHPAD_SIDE, ink="black", paper="white",
                 mode: str = "RGB") -> Image.Image:
    """Lines ``width`` pixels thick through each stroke's points (a list of ``(x, y)``)."""
    canvas = Image.new(mode, (side, side), paper)
    pen = ImageDraw.Draw(canvas)
    for stroke in strokes:
        pen.line(stroke, fill=ink, width=width, joint="curve")
    return canvas
