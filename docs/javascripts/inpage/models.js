// The three demo models in the page: onnxruntime-web (WebAssembly, one thread) runs the
// ONNX exports that `python -m learntorch.export` writes. This module is the page's API,
// window.learntorchDemos.{digits, fashion, nextWord}: each has `ready`, a Promise that
// resolves once its model is loaded (the loading starts on first use), and
// `predict(input)`, a Promise of [{label, probability}, ...], the most likely first.
import { toFashion } from "./garments.js";
import { toMnist } from "./digits.js";
import { BadInput, NOT_AN_IMAGE, grayPicture } from "./pictures.js";
import { UNK, detokenize, readPhrase } from "./text.js";

const ASSETS = new URL("../../assets/", import.meta.url);
const RUNTIME = new URL("vendor/onnxruntime-web/", ASSETS);

// Why a model cannot run in this page (no WebAssembly, a failed download), as opposed to
// input it cannot read (BadInput).
export class Unavailable extends Error {
  constructor(message) {
    super(message);
    this.name = "Unavailable";
  }
}

let runtime;
function onnxRuntime() {
  if (typeof WebAssembly !== "object") {
    return Promise.reject(new Unavailable("This browser does not run WebAssembly, which the in-page models need."));
  }
  runtime ??= import(new URL("ort.wasm.bundle.min.mjs", RUNTIME).href).then((ort) => {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = { wasm: new URL("ort-wasm-simd-threaded.wasm", RUNTIME).href };
    return ort;
  }, () => {
    runtime = null; // try again next time
    throw new Unavailable("The model runtime (onnxruntime-web) could not be downloaded.");
  });
  return runtime;
}

async function download(name, as) {
  let response;
  try {
    response = await fetch(new URL(`models/${name}`, ASSETS));
  } catch {
    response = null;
  }
  if (!response?.ok) throw new Unavailable(`The model file ${name} could not be downloaded.`);
  return as === "json" ? response.json() : new Uint8Array(await response.arrayBuffer());
}

// {info (the export's NAME.json), session, ort}, loaded once; a failure is retried on the next use.
function loader(name) {
  let loading = null;
  return () => {
    loading ??= (async () => {
      const ort = await onnxRuntime();
      const info = await download(`${name}.json`, "json");
      const session = await ort.InferenceSession.create(await download(info.model), { executionProviders: ["wasm"] });
      return { info, session, ort };
    })().catch((error) => {
      loading = null;
      throw error instanceof Unavailable || error instanceof BadInput ? error
        : new Unavailable(`The model could not be started (${error.message}).`);
    });
    return loading;
  };
}

function softmax(logits) {
  const top = Math.max(...logits);
  const exps = Array.from(logits, (x) => Math.exp(x - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

function ranked(labels, probabilities) {
  return labels.map((label, i) => ({ label, probability: probabilities[i] }))
    .sort((a, b) => b.probability - a.probability);
}

// An image classifier: picture -> `prepare` -> 28 x 28 in [0, 1] -> `scale` -> logits.
function imageModel(name, prepare, scale = (pixels) => pixels) {
  const load = loader(name);
  const preprocess = async (picture) => {
    const { info } = await load();
    const constants = info.preprocessing;
    return prepare(await grayPicture(picture, constants.max_pixels), constants);
  };
  // {seen: the 28 x 28 picture the model saw, row by row, in [0, 1]; ranking: the classes, most likely first}
  const classify = async (picture) => {
    const seen = await preprocess(picture);
    const { info, session, ort } = await load();
    const input = new ort.Tensor("float32", scale(seen, info.preprocessing), [1, 1, 28, 28]);
    const { logits } = await session.run({ image: input });
    return { seen, ranking: ranked(info.classes, softmax(logits.data)) };
  };
  return {
    get ready() { return load().then(({ info }) => info); },
    preprocess,
    classify,
    async predict(picture) { return (await classify(picture)).ranking; },
  };
}

// A small seeded random number generator (mulberry32): the same seed, the same text.
function randomNumbers(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nextWordModel() {
  const load = loader("next_word");
  let vocabulary = null; // token -> id
  const read = async (phrase) => {
    const model = await load();
    vocabulary ??= new Map(model.info.vocabulary.map((token, id) => [token, id]));
    const prompt = readPhrase(phrase, vocabulary, { context: model.info.context, maxChars: model.info.max_chars });
    return { model, prompt };
  };
  // logits of the token after `ids`, and the LSTM's state after reading them
  const step = async ({ session, ort, info }, ids, state) => {
    const shape = info.state_shape, size = shape.reduce((a, b) => a * b);
    const [h, c] = state ?? [new Float32Array(size), new Float32Array(size)];
    const outputs = await session.run({
      ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      h: new ort.Tensor("float32", h, shape), c: new ort.Tensor("float32", c, shape),
    });
    return { logits: outputs.logits.data, state: [outputs.h_out.data, outputs.c_out.data] };
  };
  // learntorch.next_word.generate.choose: greedy at temperature 0, else a sample of softmax(logits / T);
  // <pad> and <unk> are never chosen
  const choose = (logits, info, temperature, random) => {
    const allowed = Array.from(logits, (x, id) => (id === info.pad_index || id === info.unk_index ? -Infinity : x));
    if (temperature <= 0) return allowed.indexOf(Math.max(...allowed));
    const probabilities = softmax(allowed.map((x) => x / temperature));
    let left = random();
    for (let id = 0; id < probabilities.length; id++) {
      left -= probabilities[id];
      if (left < 0) return id;
    }
    return probabilities.findLastIndex((p) => p > 0);
  };
  const limits = { words: 200, temperature: 2 }; // the Gradio demo's (demos/next_word.py)
  // the continuation's settings as numbers, or BadInput saying what is wrong with them
  const checkSettings = (words, temperature, seed) => {
    [words, temperature, seed] = [words, temperature, seed].map((value) => (value === "" ? NaN : Number(value)));
    if (![words, temperature, seed].every(Number.isFinite)) throw new BadInput("Words, temperature and seed must be numbers.");
    [words, seed] = [Math.trunc(words), Math.trunc(seed)];
    if (words < 1 || words > limits.words) throw new BadInput(`Ask for between 1 and ${limits.words} words.`);
    if (temperature < 0 || temperature > limits.temperature) {
      throw new BadInput("The temperature must be between 0 (always the likeliest word) " +
                         `and ${limits.temperature}.`);
    }
    if (seed < 0) throw new BadInput("The seed must be zero or a positive whole number.");
    return { words, temperature, seed };
  };
  return {
    limits,
    checkSettings,
    get ready() { return load().then(({ info }) => info); },
    // how the model reads `phrase`: its last tokens, those it does not know, whether it was cut
    async read(phrase) {
      const { prompt } = await read(phrase);
      return { tokens: prompt.tokens, unknown: prompt.tokens.filter((t) => !vocabulary.has(t)), truncated: prompt.truncated };
    },
    // the five likeliest next tokens (learntorch.next_word.predict.predict_next)
    async predict(phrase) {
      const { model, prompt } = await read(phrase);
      const probabilities = softmax((await step(model, prompt.ids)).logits);
      probabilities[model.info.pad_index] = probabilities[model.info.unk_index] = 0;
      return ranked(model.info.vocabulary, probabilities).slice(0, 5);
    },
    // `phrase` and `words` more tokens (learntorch.next_word.predict.continue_text)
    async continue(phrase, { words = 25, temperature = 0.8, seed = 0 } = {}) {
      ({ words, temperature, seed } = checkSettings(words, temperature, seed));
      const { model, prompt } = await read(phrase);
      const random = randomNumbers(seed);
      let { logits, state } = await step(model, prompt.ids);
      const added = [];
      for (let n = 0; n < words; n++) {
        const id = choose(logits, model.info, temperature, random);
        added.push(model.info.vocabulary[id]);
        ({ logits, state } = await step(model, [id], state));
      }
      const last = prompt.tokens.at(-1);
      const characters = Array.from(phrase.trim());
      const shown = characters.length > 300 ? "…" + characters.slice(-300).join("") : characters.join("");
      return shown + detokenize([last, ...added]).slice(last.length);
    },
  };
}

export const demos = {
  digits: imageModel("digits", toMnist, (pixels, c) => pixels.map((p) => (p - c.mean) / c.std)),
  fashion: imageModel("fashion", toFashion),
  nextWord: nextWordModel(),
};
export { BadInput, NOT_AN_IMAGE, UNK };
