"""The in-page models in Chromium, on the built site with no network: the page's answers
against Python's on the same inputs, drawing with the mouse, and every kind of bad input."""

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from browser import needs_chromium
from conftest import ARTIFACTS
from demos.digits import EXAMPLES as DIGIT_EXAMPLES
from demos.fashion import EXAMPLE_FILES
from learntorch.digits.drawing import draw_strokes
from learntorch.digits.predict import read_digit
from learntorch.fashion.predict import classify_garment
from learntorch.next_word.data import book_split
from learntorch.next_word.predict import continue_text, load_next_word, predict_next
from learntorch.data import image_tensors
from learntorch.text import detokenize, is_word
from test_every_page import DEMOS_PAGE_ASKS
from test_digits_demo import EXPECTED as DIGIT_MESSAGES, STROKES
from test_fashion_demo import EXPECTED as GARMENT_MESSAGES
from test_next_word_demo import test_unusable_phrases_get_a_clear_message as gradio_phrase_test
from tools.payloads import bad_upload
from tools.visit import browser_page

pytestmark = [needs_chromium, pytest.mark.usefixtures("one_torch_thread")]
# the unusable phrases and their messages, as the Gradio demo's test sends them
PHRASES = next(mark.args[1] for mark in gradio_phrase_test.pytestmark if mark.name == "parametrize")

AGREEMENT = 0.98  # share of inputs on which the page's top-1 must be Python's


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (whose resolver finds no host but this machine)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(color_scheme="light") as page:
        yield page.context.browser


@pytest.fixture
def visit(browser, site_url):
    """Open a page of the site in a fresh context; its console errors are collected."""
    contexts = []

    def open_page(path: str, init_script: str | None = None, block: str | None = None):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda message: message.type == "error"
                and not message.location.get("url", "").startswith(DEMOS_PAGE_ASKS)
                and page.errors.append(f"{message.text} ({message.location.get('url')})"))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        if init_script:
            page.add_init_script(init_script)
        if block:
            page.route(block, lambda route: route.abort())
        page.goto(site_url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def demos_page(browser, site_url):
    """The Demos page with all three models loaded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site_url + "demos/")
    page.evaluate("Promise.all(['digits', 'fashion', 'nextWord'].map(n => learntorchDemos[n].ready))")
    yield page
    context.close()


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=92)
    return buffer.getvalue()


def page_reads(page, model: str, files: list[bytes]) -> list[dict]:
    """The page's top-1 and 28 x 28 input for each picture file, all in one call."""
    urls = [f"data:image;base64,{base64.b64encode(data).decode()}" for data in files]
    return page.evaluate("""async ([model, urls]) => {
        const results = [];
        for (const url of urls) {
          const image = new Image();
          image.src = url;
          await image.decode();
          const { seen, ranking } = await learntorchDemos[model].classify(image);
          results.push({ top: ranking[0].label, seen: Array.from(seen), ranking });
        }
        return results;
    }""", [model, urls])


def digit_pictures(folder) -> list[bytes]:
    """100 digits as a visitor sends them: MNIST test digits as dark ink on (grey or white)
    paper at many sizes, some blurred or saved as JPEG, some larger than the 1024-pixel
    working size; and drawings made with a pen."""
    images = image_tensors("MNIST", train=False)[0][:94].numpy()
    rng = np.random.default_rng(0)
    files = []
    for index, image in enumerate(images):
        side = int(rng.choice([56, 140, 280, 420, 1300]))
        paper = int(rng.integers(170, 256))
        photo = Image.fromarray((paper - image.astype(np.float32) * paper / 255).astype(np.uint8))
        photo = photo.resize((side, side), Image.BICUBIC).convert("RGB")
        if index % 5 == 0:
            photo = photo.filter(ImageFilter.GaussianBlur(side / 200))
        files.append(encoded(photo, "JPEG" if index % 7 == 0 else "PNG"))
    for digit, strokes in STROKES.items():
        files.append(encoded(draw_strokes(strokes), "PNG"))
    return files


def garment_pictures(folder) -> list[bytes]:
    """100 Fashion-MNIST test images as product photos (dark on white, enlarged), some
    larger than the 512-pixel working size, some as JPEG."""
    images = image_tensors("FashionMNIST", train=False)[0][:100].numpy()
    files = []
    for index, image in enumerate(images):
        side = (300, 200, 700, 450)[index % 4]
        photo = Image.fromarray(255 - image).convert("RGB").resize((side, side), Image.BICUBIC)
        files.append(encoded(photo, "JPEG" if index % 6 == 0 else "PNG"))
    return files


def agreement(page_answers, python_answers) -> float:
    return float(np.mean([mine == theirs for mine, theirs in zip(page_answers, python_answers)]))


@pytest.mark.parametrize("model, pictures, predict", [
    ("digits", digit_pictures, read_digit),
    ("fashion", garment_pictures, classify_garment),
], ids=["digits", "garments"])
def test_the_page_reads_pictures_as_python_does(demos_page, tmp_path, model, pictures, predict):
    files = pictures(tmp_path)
    assert len(files) >= 100
    python = [predict(Image.open(io.BytesIO(data))) for data in files]
    page = page_reads(demos_page, model, files)
    share = agreement([answer["top"] for answer in page], [max(p, key=p.get) for p, _ in python])
    # the preprocessing port: the same 28 x 28 picture, up to rounding in the resamplers
    differences = np.array([np.abs(np.array(answer["seen"]).reshape(28, 28) - seen / 255).max()
                            for answer, (_, seen) in zip(page, python)])
    print(f"{model}: top-1 agreement {share:.3f}; 28 x 28 inputs: max |difference| "
          f"median {np.median(differences):.4f}, 95th percentile {np.percentile(differences, 95):.4f}")
    assert share >= AGREEMENT
    assert np.percentile(differences, 95) <= 0.02
    ranking = page[0]["ranking"]
    assert [entry["probability"] for entry in ranking] == sorted((e["probability"] for e in ranking), reverse=True)
    assert abs(sum(entry["probability"] for entry in ranking) - 1) < 1e-5


def book_phrases() -> list[str]:
    """100 phrases from the book's test part (2 to 20 tokens), and a few with words it never saw."""
    tokens = book_split().test
    _, vocab = load_next_word()
    rng = np.random.default_rng(1)
    phrases = []
    while len(phrases) < 96:
        start, length = rng.integers(0, len(tokens) - 20), rng.integers(2, 21)
        window = tokens[start:start + length]
        if any(token in vocab and is_word(token) for token in window):  # a phrase the demo reads
            phrases.append(detokenize(window))
    return phrases + ["I had seen the GPU yesterday", "Holmes 😀 looked at 你好 the",
                      "“My dear Watson,” said", "It is a capital mistake to"]


def test_the_page_predicts_next_words_as_python_does(demos_page):
    phrases = book_phrases()
    python = [next(iter(predict_next(phrase))) for phrase in phrases]
    page = demos_page.evaluate("""async (phrases) => {
        const answers = [];
        for (const phrase of phrases) answers.push((await learntorchDemos.nextWord.predict(phrase))[0].label);
        return answers;
    }""", phrases)
    share = agreement(page, python)
    print(f"next word: top-1 agreement {share:.3f} on {len(phrases)} phrases")
    assert len(phrases) >= 100 and share >= AGREEMENT


def test_a_greedy_continuation_is_pythons_and_a_seed_repeats(demos_page):
    phrase = "The door flew open and"
    continue_in_page = "(args) => learntorchDemos.nextWord.continue(...args)"
    greedy = demos_page.evaluate(continue_in_page, [phrase, {"words": 15, "temperature": 0, "seed": 3}])
    assert greedy == phrase + continue_text(phrase, n_words=15, temperature=0)
    sampled = [demos_page.evaluate(continue_in_page, [phrase, {"words": 20, "temperature": 1.0, "seed": seed}])
               for seed in (7, 7, 8)]
    assert sampled[0] == sampled[1] != sampled[2]


def test_drawing_with_the_mouse_is_read(visit):
    page = visit("lessons/09_cnn/")
    demo = page.locator("[data-inpage-demo=digits]")
    demo.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('[data-inpage-demo=digits] .inpage-status').textContent === 'Ready.'",
                           timeout=60_000)
    pad = demo.locator("canvas.inpage-pad").bounding_box()
    for digit in ("1", "7"):
        demo.get_by_role("button", name="Clear").click()
        for stroke in STROKES[digit]:
            page.mouse.move(pad["x"] + stroke[0][0], pad["y"] + stroke[0][1])
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(pad["x"] + x, pad["y"] + y, steps=4)
            page.mouse.up()
        page.wait_for_function(f"document.querySelector('[data-inpage-demo=digits]').dataset.answer === '{digit}'",
                               timeout=30_000)
        assert demo.locator(".inpage-status").inner_text() == f"The model reads: {digit}"
        assert demo.locator(".inpage-ranking li").count() == 3
    # the 28 x 28 picture the model saw is shown: ink in the middle, a black frame
    seen = demo.locator("canvas.inpage-preview").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data)")
    seen = np.array(seen).reshape(28, 28, 4)[..., 0]
    assert seen.max() == 255 and seen[0].max() == 0
    page.screenshot(path=ARTIFACTS / "inpage-digits.png")
    assert not page.errors, page.errors


def status_after(page, demo: str, action) -> str:
    """Do ``action`` in a widget whose model is ready; return the message its status line shows."""
    status = f"document.querySelector('[data-inpage-demo={demo}] .inpage-status')"
    page.wait_for_function(f"{status}.textContent !== 'Loading the model…'", timeout=60_000)
    page.evaluate(f"{status}.dataset.kind = 'info'")
    action()
    page.wait_for_function(f"{status}.dataset.kind === 'error'")
    return page.evaluate(f"{status}.textContent")


def test_bad_pictures_get_the_gradio_demos_messages(visit, tmp_path):
    page = visit("demos/")
    for demo, expected in (("digits", DIGIT_MESSAGES), ("fashion", GARMENT_MESSAGES)):
        upload = page.locator(f"[data-inpage-demo={demo}] input[type=file]")
        for kind, message in expected.items():
            path = bad_upload(tmp_path, kind, side=300)
            assert message in status_after(page, demo, lambda: upload.set_input_files(path)), (demo, kind)
    empty = status_after(page, "digits", lambda: page.locator("[data-inpage-demo=digits]")
                         .get_by_role("button", name="Read it").click())
    assert "The canvas is empty: draw a digit first" in empty
    assert not page.errors, page.errors


def test_bad_phrases_and_settings_get_the_gradio_demos_messages(visit):
    page = visit("lessons/12_lstm_next_word/")
    demo = page.locator("[data-inpage-demo=nextWord]")
    for phrase, message in PHRASES:
        def predict():
            demo.get_by_label("Your phrase").fill(phrase)
            demo.get_by_role("button", name="Predict").click()
        assert message in status_after(page, "nextWord", predict), phrase[:40]
    demo.get_by_label("Your phrase").fill("The door")
    for field, value, message in (("Words to add", "0", "between 1 and 200 words"),
                                  ("Temperature", "-1", "temperature must be between 0"),
                                  ("Seed", "-5", "seed must be zero or a positive")):
        demo.get_by_label(field).fill(value)
        assert message in status_after(page, "nextWord", lambda: demo.get_by_role(
            "button", name="Continue the text").click())
        demo.get_by_label(field).fill({"Words to add": "25", "Temperature": "0.8", "Seed": "0"}[field])
    assert not page.errors, page.errors


def test_lessons_9_10_and_12_end_with_the_model_they_trained(built_site):
    for lesson, demo in (("09_cnn", "digits"), ("10_transfer_learning", "fashion"),
                         ("12_lstm_next_word", "nextWord")):
        html = (built_site / "lessons" / lesson / "index.html").read_text(encoding="utf-8")
        assert f'data-inpage-demo="{demo}"' in html and "Try it in your browser" in html, lesson


def test_the_examples_are_read_and_the_models_work_offline_once_loaded(visit):
    page = visit("demos/")
    shown = {demo: page.locator(f"[data-inpage-demo={demo}] .inpage-example img").evaluate_all(
        "images => images.map(image => image.src.split('/').pop())") for demo in ("digits", "fashion")}
    assert sorted(shown["digits"]) == sorted(path.name for path in DIGIT_EXAMPLES.iterdir())
    assert shown["fashion"] == list(EXAMPLE_FILES)  # the Gradio demo's examples
    # an <img>, a canvas and an ImageBitmap of the same picture are read alike
    answers = page.evaluate("""async () => {
        const image = document.querySelector("[data-inpage-demo=digits] .inpage-example img");
        await image.decode();
        const canvas = document.createElement("canvas");
        [canvas.width, canvas.height] = [image.naturalWidth, image.naturalHeight];
        canvas.getContext("2d").drawImage(image, 0, 0);
        const inputs = [image, canvas, await createImageBitmap(image)];
        return Promise.all(inputs.map(async (input) => (await learntorchDemos.digits.predict(input))[0]));
    }""")
    assert answers[0]["label"] == "3" and answers[0] == answers[1] == answers[2], answers
    page.evaluate("Promise.all(['digits', 'fashion', 'nextWord'].map(n => learntorchDemos[n].ready))")
    page.context.set_offline(True)
    garments = page.locator("[data-inpage-demo=fashion]")
    for name, label in (("trousers", "Trouser"), ("bag", "Bag")):
        garments.locator(f"button[title={name}]").click()
        page.wait_for_function(f"document.querySelector('[data-inpage-demo=fashion]').dataset.answer === '{label}'")
    assert page.evaluate("learntorchDemos.nextWord.predict('said Sherlock')")[0]["label"] == "holmes"
    page.screenshot(path=ARTIFACTS / "inpage-demos.png", full_page=True)
    # the browser asks for the tab's icon again as the address's #fragment changes; offline, it fails
    assert not [error for error in page.errors if "favicon" not in error], page.errors


@pytest.mark.parametrize("trouble, init_script, block, reason", [
    ("no WebAssembly", "delete globalThis.WebAssembly", None, "does not run WebAssembly"),
    ("download fails", None, "**/assets/models/*.onnx", "could not be downloaded"),
])
def test_a_model_that_cannot_run_says_so_and_how_to_run_the_gradio_demos(visit, trouble, init_script, block, reason):
    page = visit("demos/", init_script=init_script, block=block)
    for demo in ("digits", "fashion", "nextWord"):
        notice = page.locator(f"[data-inpage-demo={demo}] .inpage-unavailable")
        notice.wait_for(timeout=60_000)
        assert notice.is_visible() and reason in notice.inner_text()
        assert "make serve" in notice.inner_text()
        assert notice.get_by_role("link").get_attribute("href").endswith("demos/#run-them-yourself")
    with pytest.raises(Exception, match=reason):
        page.evaluate("learntorchDemos.digits.ready")
