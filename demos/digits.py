"""Draw a digit, or upload a picture of one, and the CNN of lesson 9 reads it.

    python -m demos.digits [--port 7861] [--host 127.0.0.1]

Both inputs answer on the same two outputs: the three likeliest digits, and the 28 x 28
image the model actually saw (shown enlarged), so a visitor can see why it answered as
it did. API: ``/digits`` takes a sketchpad value ``{"background", "layers",
"composite"}`` (any image file works as the composite), ``/digits_upload`` takes an
image file; both return ``(label, preview image)``, the label first. The names are the
same in the combined app (``python -m demos``).
"""

from pathlib import Path

from demos.common import (checked_before_decoding, enlarged_preview, friendly_errors, gr,
                          label_and_preview, launch, parse_args)
from learntorch.digits.predict import read_digit
from learntorch.inputs import BadInput

EXAMPLES = Path(__file__).resolve().parent / "examples" / "digits"


# Gradio's sketchpad opens with no tool selected; click its brush once the page is ready
# so that the first stroke draws (the instructions cover a browser where this fails).
SELECT_BRUSH = """() => {
  const started = Date.now();
  const timer = setInterval(() => {
    const brush = document.querySelector("#digit-sketchpad button[aria-label='Brush']");
    if (brush || Date.now() - started > 15000) {
      clearInterval(timer);
      if (brush) brush.click();
    }
  }, 200);
}"""


def answer(image):
    """Probabilities of the ten digits, and the 28 x 28 input the model saw, enlarged."""
    probabilities, seen = read_digit(image)
    return probabilities, enlarged_preview(seen)


@friendly_errors
def read_drawing(sketch: dict | None):
    composite = (sketch or {}).get("composite")
    if composite is None:
        raise BadInput("The canvas is empty: draw a digit first (if the pen does not draw, "
                       "click the brush button at the left of the canvas).")
    return answer(composite)


@friendly_errors
def read_upload(picture):
    if picture is None:
        raise BadInput("No picture received: upload a photo or scan of one handwritten digit.")
    return answer(picture)


def build_app() -> gr.Blocks:
    with gr.Blocks(title="Draw a digit") as app:
        gr.Markdown("Draw one digit (0-9), large, then press **Read it**. If the canvas says "
                    "*select the draw tool*, click the **brush** button at its left first. "
                    "Or upload a photo of a digit written on paper.\n\n"
                    "*With a keyboard or a screen reader:* the canvas needs a mouse, a pen or a "
                    "finger. The **Upload** tab reads a photo or scan of a digit instead, and its "
                    "examples are buttons: choose one and the answer is read out.")
        # the outputs are created first (the upload examples need them) and placed on the right
        label, preview = label_and_preview("The model reads")
        with gr.Row():
            with gr.Column():
                with gr.Tab("Draw"):
                    sketch = checked_before_decoding(gr.Sketchpad(
                        label="Your digit", type="pil", format="png", elem_id="digit-sketchpad",
                        canvas_size=(280, 280), fixed_canvas=True, layers=False, transforms=(),
                        brush=gr.Brush(default_size=10, colors=["#000000"], default_color="#000000",
                                       color_mode="fixed")))
                    draw_button = gr.Button("Read it", variant="primary")
                with gr.Tab("Upload"):
                    upload = checked_before_decoding(gr.Image(
                        label="A photo or scan of one digit", type="pil", sources=["upload", "clipboard"]))
                    upload_button = gr.Button("Read it", variant="primary")
                    gr.Examples(examples=[str(EXAMPLES / name) for name in
                                          ("three-pencil.png", "five-on-grey.jpg", "eight-chalk.png")],
                                inputs=upload, outputs=[label, preview], fn=read_upload,
                                run_on_click=True, cache_examples=False, api_visibility="private")
            with gr.Column():
                label.render()
                preview.render()
        draw_button.click(read_drawing, inputs=sketch, outputs=[label, preview], api_name="digits")
        upload_button.click(read_upload, inputs=upload, outputs=[label, preview], api_name="digits_upload")
        upload.upload(read_upload, inputs=upload, outputs=[label, preview], api_visibility="private")
        app.load(None, js=SELECT_BRUSH)
    return app


if __name__ == "__main__":
    launch(build_app(), parse_args(__doc__, port=7861))
