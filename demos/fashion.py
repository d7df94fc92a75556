"""Upload a photo of a garment, shoe or bag, and the fine-tuned EfficientNet-Lite0 of
lesson 10 names it with one of Fashion-MNIST's ten classes.

    python -m demos.fashion [--port 7862] [--host 127.0.0.1]

The answer shows the three likeliest classes and the 28 x 28 image the model actually
saw (enlarged): the photo turned gray, inverted to a light object on black when its
background is light, cropped to the object and padded to a square, as Fashion-MNIST's
images are. API: ``/fashion`` takes an image file and returns ``(label, preview image)``,
the label first (the same name in the combined app, ``python -m demos``).
"""

from pathlib import Path

from demos.common import (checked_before_decoding, enlarged_preview, friendly_errors, gr,
                          label_and_preview, launch, parse_args)
from learntorch.fashion.predict import classify_garment
from learntorch.inputs import BadInput
from learntorch.shared_forward import MAX_BATCH

EXAMPLES = Path(__file__).resolve().parent / "examples" / "fashion"
# sneaker.png (drawn, used by lesson 10) is left out: the model reads it as a sandal
EXAMPLE_FILES = ("t-shirt.png", "trousers.png", "bag.png", "dress.png", "ankle-boot.png")


@friendly_errors
def classify(picture):
    """Probabilities of the ten classes, and the 28 x 28 input the model saw, enlarged."""
    if picture is None:
        raise BadInput("No picture received: upload a photo of one garment, shoe or bag.")
    probabilities, seen = classify_garment(picture)
    return probabilities, enlarged_preview(seen)


def build_app() -> gr.Blocks:
    with gr.Blocks(title="Classify a garment") as app:
        gr.Markdown("Upload a photo of **one** garment, shoe or bag, ideally on a plain "
                    "background, or pick an example below. The model knows ten classes: "
                    "T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag "
                    "and ankle boot.")
        # the outputs are created first (the examples need them) and placed on the right
        label, preview = label_and_preview("The model says")
        with gr.Row():
            with gr.Column():
                photo = checked_before_decoding(gr.Image(
                    label="A photo of a garment", type="pil",
                    sources=["upload", "clipboard", "webcam"]))
                button = gr.Button("Classify", variant="primary")
                gr.Examples(examples=[str(EXAMPLES / name) for name in EXAMPLE_FILES],
                            inputs=photo, outputs=[label, preview], fn=classify,
                            run_on_click=True, cache_examples=False, api_visibility="private")
            with gr.Column():
                label.render()
                preview.render()
        # as many photos at once as the model classifies in one batch (learntorch.shared_forward)
        together = {"concurrency_id": "classify", "concurrency_limit": MAX_BATCH}
        button.click(classify, inputs=photo, outputs=[label, preview], api_name="fashion", **together)
        photo.upload(classify, inputs=photo, outputs=[label, preview], api_visibility="private", **together)
    return app


if __name__ == "__main__":
    launch(build_app(), parse_args(__doc__, port=7862))
