// The in-page demos: what a reader sees and clicks. Each <div data-inpage-demo="NAME">
// on a page becomes the demo NAME (digits, fashion or nextWord), running on the API of
// models.js. Bad input is answered in the widget with the Gradio demos' messages; a model
// that cannot run here says so, with the way to run the Gradio demos instead.
import { BadInput, NOT_AN_IMAGE, UNK, Unavailable, demos } from "./models.js";

const EXAMPLES = new URL("../../assets/examples/", import.meta.url);
const RUN_THEM_YOURSELF = new URL("../../demos/#run-them-yourself", import.meta.url);
const PREVIEW_SIDE = 196; // a 28 x 28 input, each pixel shown as a 7 x 7 block

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// A line that tells the reader what is happening: loading, ready, or what went wrong.
function statusLine() {
  const line = element("p", { class: "inpage-status", role: "status" });
  return {
    line,
    say(text, kind = "info") {
      line.textContent = text;
      line.dataset.kind = kind;
      line.setAttribute("role", kind === "error" ? "alert" : "status");
    },
  };
}

function unavailable(root, error) {
  root.replaceChildren(element("div", { class: "inpage-unavailable admonition warning", role: "alert" },
    element("p", { class: "admonition-title", text: "This demo cannot run in this page" }),
    element("p", { text: `${error.message} The same model runs as a Gradio app on your own machine: ` +
                         "clone the course and run `make serve`, then open http://127.0.0.1:7860." }),
    element("p", {}, element("a", { href: RUN_THEM_YOURSELF.href, text: "How to run the demos yourself" }))));
}

// Run `task` and show its outcome: a BadInput's message in the status line; a model that
// cannot run here replaces the widget with the explanation.
async function attempt(root, status, task) {
  try {
    await task();
  } catch (error) {
    if (error instanceof BadInput) status.say(error.message, "error");
    else if (error instanceof Unavailable) unavailable(root, error);
    else status.say(`Sorry, this input could not be processed (${error.message}).`, "error");
  }
}

function bars(ranking, count, digits = 1) {
  return element("ol", { class: "inpage-ranking" }, ...ranking.slice(0, count).map(({ label, probability }) => {
    const bar = element("span", { class: "inpage-bar" });
    bar.style.width = `${(100 * probability).toFixed(1)}%`;
    return element("li", {}, element("span", { class: "inpage-label", text: label }), bar,
      element("span", { class: "inpage-probability", text: `${(100 * probability).toFixed(digits)}%` }));
  }));
}

function previewCanvas() {
  const canvas = element("canvas", { class: "inpage-preview", width: 28, height: 28 });
  canvas.style.width = canvas.style.height = `${PREVIEW_SIDE}px`;
  return canvas;
}

function showSeen(canvas, seen) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(28, 28);
  seen.forEach((value, i) => {
    image.data.fill(Math.round(value * 255), 4 * i, 4 * i + 3);
    image.data[4 * i + 3] = 255;
  });
  context.putImageData(image, 0, 0);
}

// A file the reader picked, as an <img>; a file that is not a picture gets the demos' message.
async function pictureFromFile(file) {
  const image = new Image();
  image.src = URL.createObjectURL(file);
  await new Promise((resolve) => { image.onload = image.onerror = resolve; });
  if (!image.naturalWidth) {
    throw new BadInput(`'${file.name}' ${NOT_AN_IMAGE}`);
  }
  return image;
}

// The parts both image demos share: a result column (ranking and the picture the model
// saw) and a function that reads a picture into it.
function imageDemo(root, model, title, resultTitle) {
  const status = statusLine();
  const ranking = element("div", { class: "inpage-result", "aria-live": "polite" });
  const preview = previewCanvas();
  const input = element("div", { class: "inpage-input" });
  root.replaceChildren(element("p", { class: "inpage-title", text: title }), status.line,
    element("div", { class: "inpage-columns" }, input,
      element("div", {}, element("p", { class: "inpage-caption", text: resultTitle }), ranking,
        element("p", { class: "inpage-caption", text: "What the model saw (28 x 28, enlarged)" }), preview)));
  const read = (picture) => attempt(root, status, async () => {
    status.say("Reading…");
    const { seen, ranking: answer } = await model.classify(picture);
    showSeen(preview, seen);
    ranking.replaceChildren(bars(answer, 3));
    root.dataset.answer = answer[0].label;
    status.say(`The model reads: ${answer[0].label}`);
  });
  const upload = element("input", { type: "file", accept: "image/*", class: "inpage-upload" });
  upload.addEventListener("change", () => attempt(root, status, async () => {
    if (upload.files.length) await read(await pictureFromFile(upload.files[0]));
  }));
  status.say("Loading the model…");
  attempt(root, status, async () => {
    await model.ready;
    status.say("Ready.");
  });
  return { status, read, input, upload };
}

function examples(names, folder, read) {
  return element("div", { class: "inpage-examples" }, ...names.map((name) => {
    const image = element("img", { src: new URL(`${folder}/${name}`, EXAMPLES).href, alt: name.replace(/\.\w+$/, "") });
    const button = element("button", { type: "button", class: "inpage-example", title: image.alt }, image);
    button.addEventListener("click", () => read(image));
    return button;
  }));
}

function mountDigits(root) {
  const { status, read, input, upload } = imageDemo(root, demos.digits,
    "Draw one digit (0-9), large, with the mouse or a finger; the model reads it when you lift the pen. " +
    "Or upload a photo of a digit written on paper.", "The model reads");
  const pad = element("canvas", { class: "inpage-pad", width: 280, height: 280, "aria-label": "Drawing pad" });
  const pen = pad.getContext("2d");
  let drawn = false, last = null;
  const clear = () => {
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, pad.width, pad.height);
    drawn = false;
  };
  clear();
  const at = (event) => {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  };
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    last = at(event);
  });
  pad.addEventListener("pointermove", (event) => {
    if (!last) return;
    const point = at(event);
    Object.assign(pen, { strokeStyle: "#000", lineWidth: 18, lineCap: "round", lineJoin: "round" });
    pen.beginPath();
    pen.moveTo(...last);
    pen.lineTo(...point);
    pen.stroke();
    last = point;
    drawn = true;
  });
  const lift = () => {
    if (last && drawn) read(pad);
    last = null;
  };
  pad.addEventListener("pointerup", lift);
  pad.addEventListener("pointercancel", lift);
  const readButton = element("button", { type: "button", class: "md-button md-button--primary", text: "Read it" });
  readButton.addEventListener("click", () => (drawn ? read(pad)
    : status.say("The canvas is empty: draw a digit first.", "error")));
  const clearButton = element("button", { type: "button", class: "md-button", text: "Clear" });
  clearButton.addEventListener("click", clear);
  input.append(pad, element("div", { class: "inpage-buttons" }, readButton, clearButton),
    element("label", { class: "inpage-caption" }, "Or upload a photo or scan of one digit: ", upload),
    examples(["three-pencil.png", "five-on-grey.jpg", "eight-chalk.png"], "digits", read));
}

function mountFashion(root) {
  const { read, input, upload } = imageDemo(root, demos.fashion,
    "Pick an example, or upload a photo of one garment, shoe or bag, ideally on a plain background. " +
    "The model knows Fashion-MNIST's ten classes.", "The model says");
  input.append(element("p", { class: "inpage-caption", text: "Examples (click one):" }),
    examples(["t-shirt.png", "trousers.png", "bag.png", "dress.png", "ankle-boot.png"], "fashion", read),
    element("label", { class: "inpage-caption" }, "Or upload a photo: ", upload));
}

function mountNextWord(root) {
  const model = demos.nextWord;
  const status = statusLine();
  const phrase = element("textarea", { class: "inpage-phrase", rows: 3, "aria-label": "Your phrase",
                                       placeholder: "I had seen little of Holmes" });
  const predictButton = element("button", { type: "button", class: "md-button md-button--primary", text: "Predict" });
  const ranking = element("div", { class: "inpage-result", "aria-live": "polite" });
  const tokens = element("p", { class: "inpage-tokens" });
  const number = (label, attributes) => {
    const field = element("input", { type: "number", ...attributes });
    return [field, element("label", { class: "inpage-setting" }, `${label} `, field)];
  };
  const limits = model.limits;
  const [words, wordsLabel] = number("Words to add", { min: 1, max: limits.words, step: 1, value: 25 });
  const [temperature, temperatureLabel] = number("Temperature", { min: 0, max: limits.temperature, step: 0.05, value: 0.8 });
  const [seed, seedLabel] = number("Seed", { min: 0, step: 1, value: 0 });
  const continueButton = element("button", { type: "button", class: "md-button", text: "Continue the text" });
  const continuation = element("p", { class: "inpage-continuation", "aria-live": "polite" });
  root.replaceChildren(
    element("p", { class: "inpage-title", text: "Type the start of a sentence: the LSTM shows its five likeliest " +
      "next words, and can continue your text (a low temperature picks safe words, a high one takes risks; " +
      "the same seed always gives the same text)." }),
    status.line, phrase, element("div", { class: "inpage-buttons" }, predictButton),
    element("p", { class: "inpage-caption", text: "Most likely next word" }), ranking, tokens,
    element("div", { class: "inpage-buttons" }, wordsLabel, temperatureLabel, seedLabel, continueButton), continuation);

  const showTokens = async () => {
    const read = await model.read(phrase.value);
    tokens.replaceChildren("The model read: ", ...read.tokens.map((token) => element("span",
      { class: read.unknown.includes(token) ? "inpage-token inpage-unk" : "inpage-token",
        title: read.unknown.includes(token) ? `not in the vocabulary: read as ${UNK}` : "", text: token })));
    if (read.truncated) tokens.append(` (only the last ${read.tokens.length} tokens)`);
  };
  const predict = () => attempt(root, status, async () => {
    status.say("Predicting…");
    const answer = await model.predict(phrase.value);
    ranking.replaceChildren(bars(answer, 5, 2));
    await showTokens();
    root.dataset.answer = answer[0].label;
    status.say(`Most likely next word: ${answer[0].label}`);
  });
  predictButton.addEventListener("click", predict);
  phrase.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      predict();
    }
  });
  continueButton.addEventListener("click", () => attempt(root, status, async () => {
    status.say("Writing…");
    const settings = model.checkSettings(words.value, temperature.value, seed.value);
    continuation.textContent = await model.continue(phrase.value, settings);
    status.say("Continued.");
  }));
  status.say("Loading the model…");
  attempt(root, status, async () => {
    await model.ready;
    status.say("Ready.");
  });
}

const MOUNT = { digits: mountDigits, fashion: mountFashion, nextWord: mountNextWord };

// Turn every demo placeholder of `page` into its widget (once).
export function mountAll(page) {
  for (const root of page.querySelectorAll("[data-inpage-demo]:not([data-mounted])")) {
    root.dataset.mounted = "true";
    MOUNT[root.dataset.inpageDemo](root);
  }
}
