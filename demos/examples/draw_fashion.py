"""Draws the demo's example photos: simple garments in colour on light backgrounds.

They are made here, with Pillow, so that the demo offers pictures that are *not*
Fashion-MNIST images (the demo must cope with colour, light backgrounds and margins).

    python demos/examples/draw_fashion.py      # rewrites the PNG files in fashion/
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent / "fashion"
SIZE = 300


def canvas(background=(245, 243, 238)):
    return Image.new("RGB", (SIZE, SIZE), background)


def finish(image: Image.Image, name: str) -> None:
    # a little blur softens the polygon edges the way a camera would
    image.filter(ImageFilter.GaussianBlur(1.2)).save(HERE / f"{name}.png", optimize=True)


def tshirt():
    image = canvas()
    draw = ImageDraw.Draw(image)
    body = [(105, 60), (130, 52), (150, 66), (170, 52), (195, 60), (255, 100), (232, 140),
            (205, 125), (205, 255), (95, 255), (95, 125), (68, 140), (45, 100)]
    draw.polygon(body, fill=(200, 40, 45))
    draw.arc((128, 40, 172, 80), 20, 160, fill=(150, 25, 30), width=5)  # collar
    draw.line([(95, 125), (95, 250)], fill=(170, 30, 35), width=3)
    draw.line([(205, 125), (205, 250)], fill=(170, 30, 35), width=3)
    finish(image, "t-shirt")


def trousers():
    image = canvas((250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.polygon([(110, 30), (190, 30), (200, 270), (160, 270), (150, 110), (140, 270),
                  (100, 270)], fill=(40, 60, 110))
    draw.rectangle((110, 30, 190, 45), fill=(30, 45, 85))  # waistband
    draw.line([(150, 45), (150, 105)], fill=(25, 40, 75), width=3)  # fly
    finish(image, "trousers")


def sneaker():
    image = canvas((240, 240, 240))
    draw = ImageDraw.Draw(image)
    # pointing left, like Fashion-MNIST's shoes
    draw.polygon([(30, 190), (45, 160), (110, 140), (150, 110), (200, 100), (245, 105),
                  (270, 150), (272, 200), (30, 205)], fill=(60, 70, 80))
    draw.rectangle((28, 200, 274, 222), fill=(225, 225, 225))  # sole
    draw.line([(28, 200), (274, 200)], fill=(120, 120, 120), width=3)
    for x in range(150, 215, 15):  # laces
        draw.line([(x, 110 + (x - 150) // 6), (x + 10, 135)], fill=(230, 230, 230), width=4)
    finish(image, "sneaker")


def bag():
    image = canvas((248, 246, 240))
    draw = ImageDraw.Draw(image)
    draw.arc((100, 40, 200, 150), 180, 360, fill=(110, 60, 30), width=10)  # handle
    draw.polygon([(70, 100), (230, 100), (255, 260), (45, 260)], fill=(150, 85, 40))
    draw.rectangle((135, 120, 165, 140), fill=(210, 180, 80))  # clasp
    finish(image, "bag")


def dress():
    image = canvas()
    draw = ImageDraw.Draw(image)
    draw.polygon([(125, 30), (135, 30), (140, 75), (160, 75), (165, 30), (175, 30), (180, 80),
                  (172, 130), (235, 275), (65, 275), (128, 130), (120, 80)], fill=(40, 120, 90))
    draw.line([(128, 130), (172, 130)], fill=(30, 90, 70), width=4)  # waist
    finish(image, "dress")


def ankle_boot():
    image = canvas((243, 241, 236))
    draw = ImageDraw.Draw(image)
    draw.polygon([(160, 40), (255, 40), (260, 230), (30, 235), (30, 200), (60, 175),
                  (130, 160), (160, 120)], fill=(90, 55, 35))
    draw.rectangle((28, 228, 262, 250), fill=(40, 30, 25))  # sole
    draw.rectangle((230, 215, 262, 250), fill=(40, 30, 25))  # heel
    finish(image, "ankle-boot")


if __name__ == "__main__":
    for make in (tshirt, trousers, sneaker, bag, dress, ankle_boot):
        make()
    print(sorted(path.name for path in HERE.glob("*.png")))
