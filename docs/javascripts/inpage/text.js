// Text to token ids: the browser's copy of learntorch.text (tokenize, is_word,
// last_tokens, detokenize) and of learntorch.next_word.predict.read_phrase.
import { BadInput } from "./pictures.js";

export const UNK = "<unk>";

// A word is a run of letters or digits, optionally joined by apostrophes (don’t,
// holmes’s); any other visible character is a token of its own.
const TOKEN = /[\p{L}\p{N}]+(?:’[\p{L}\p{N}]+)*|\S/gu;
const OPENING_DOUBLE = /(^|[\s(\[{—-])"/gu; // a " that opens a quotation
const OPENING_SINGLE = /(^|[\s(\[{“—-])'/gu;
const NO_SPACE_BEFORE = new Set(",.;:!?”’)]}-—");
const NO_SPACE_AFTER = new Set("“‘([{-—£");

// Lower case, the book's curly quotes for straight ones, no _italic_ underscores.
function normalize(text) {
  text = text.replace(OPENING_DOUBLE, "$1“").replaceAll('"', "”");
  text = text.replace(OPENING_SINGLE, "$1‘").replaceAll("'", "’");
  return text.replaceAll("_", " ").toLowerCase();
}

export function tokenize(text) {
  return normalize(text).match(TOKEN) ?? [];
}

export function isWord(token) {
  return /[\p{L}\p{N}]/u.test(token);
}

// The last n tokens of `text`, and whether it has more; only the end of a long text is
// tokenized (a cut at a whitespace character never splits a token).
function lastTokens(text, n) {
  const characters = Array.from(text); // Python counts code points, not UTF-16 units
  const tail = characters.slice(-40 * n).join("");
  const space = /\s/u.exec(tail);
  if (characters.length > 40 * n && space) {
    const tokens = tokenize(tail.slice(space.index + space[0].length));
    if (tokens.length >= n) return [tokens.slice(-n), true];
  }
  const tokens = tokenize(text);
  return [tokens.slice(-n), tokens.length > n];
}

// Tokens back into text: punctuation attached, no stray spaces.
export function detokenize(tokens) {
  let text = "";
  for (const token of tokens) {
    if (text && !NO_SPACE_BEFORE.has(token) && !NO_SPACE_AFTER.has(text.at(-1))) text += " ";
    text += token;
  }
  return text;
}

// The end of a visitor's phrase as the model reads it: {tokens, ids, truncated}, or
// BadInput saying why it cannot be read. `vocabulary` maps token -> id.
export function readPhrase(phrase, vocabulary, { context, maxChars }) {
  phrase ??= "";
  const length = Array.from(phrase).length;
  if (length > maxChars) {
    throw new BadInput(`That text has ${length.toLocaleString("en")} characters; the limit is ` +
                       `${maxChars.toLocaleString("en")}. Only the last ${context} words matter ` +
                       "for the next word anyway.");
  }
  if (!phrase.trim()) throw new BadInput("Type a phrase first, for example “I had seen little of”.");
  const [tokens, truncated] = lastTokens(phrase, context);
  if (!tokens.some(isWord)) {
    throw new BadInput("That has no words in it, only punctuation or symbols. " +
                       "Type a few English words, for example “my dear”.");
  }
  if (!tokens.some((token) => vocabulary.has(token) && isWord(token))) {
    throw new BadInput("None of these words is in the model's vocabulary, which holds the " +
                       `${(vocabulary.size - 2).toLocaleString("en")} commonest words and punctuation ` +
                       "marks of the Sherlock Holmes stories. Try English words, for example “the door”.");
  }
  return { tokens, ids: tokens.map((token) => vocabulary.get(token) ?? vocabulary.get(UNK)), truncated };
}
