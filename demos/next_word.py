"""Type a phrase; the LSTM of lesson 12 guesses the next word and can continue the text.

    python -m demos.next_word [--port 7863] [--host 127.0.0.1]

The model learned from the first 80% of *The Adventures of Sherlock Holmes*, so it writes
like Dr Watson. It reads lower-case words and punctuation marks; a word it never saw in
training becomes ``<unk>`` (shown highlighted). It reads at most the last 64 tokens.

API: ``/next_word`` takes a phrase and returns the five likeliest next tokens with their
probabilities (a label); ``/next_word_tokens`` returns how the phrase was read;
``/next_word_continue`` takes ``(phrase, words, temperature, seed)`` and returns the phrase
with its continuation. The names are the same in the combined app (``python -m demos``).
"""

from demos.accessibility import ANSWER_CLASS
from demos.common import friendly_errors, gr, launch, parse_args
from learntorch.inputs import BadInput
from learntorch.next_word.generate import CONTEXT
from learntorch.next_word.predict import MAX_CHARS, continue_text, load_next_word, predict_next
from learntorch.text import UNK, last_tokens

MAX_WORDS = 200
MAX_TEMPERATURE = 2.0
SHOWN_PHRASE = 300  # characters of a long phrase shown before its continuation
EXAMPLES = ["I had seen little of Holmes", "It is a capital mistake to", "“My dear Watson,” said",
            "The door flew open and", "What do you make of this"]


@friendly_errors
def predict(phrase: str | None) -> dict[str, float]:
    return predict_next(phrase, k=5)


@friendly_errors
def tokens(phrase: str | None) -> tuple[list[tuple[str, str | None]], str]:
    """The tokens the model reads (unknown ones marked ``<unk>``) and a note about them."""
    _, vocab = load_next_word()
    phrase = phrase or ""
    if len(phrase) > MAX_CHARS:
        return [], ""  # /next_word explains the limit
    read, truncated = last_tokens(phrase, CONTEXT)
    notes = []
    if truncated:
        notes.append(f"Your text is long: the model reads only its last {CONTEXT} tokens, shown here.")
    unknown = sorted({token for token in read if token not in vocab})
    if unknown:
        notes.append(f"Not in the vocabulary, so read as `{UNK}`: " + ", ".join(unknown[:20]) + ".")
    return [(f"{token} ", UNK if token not in vocab else None) for token in read], " ".join(notes)


@friendly_errors
def continue_phrase(phrase: str | None, words, temperature, seed) -> str:
    try:
        words, temperature, seed = int(words), float(temperature), int(seed)
    except (TypeError, ValueError):
        raise BadInput("Words, temperature and seed must be numbers.") from None
    if not 1 <= words <= MAX_WORDS:
        raise BadInput(f"Ask for between 1 and {MAX_WORDS} words.")
    if not 0 <= temperature <= MAX_TEMPERATURE:
        raise BadInput(f"The temperature must be between 0 (always the likeliest word) "
                       f"and {MAX_TEMPERATURE:g}.")
    if seed < 0:
        raise BadInput("The seed must be zero or a positive whole number.")
    continuation = continue_text(phrase, n_words=words, temperature=temperature, seed=seed)
    shown = phrase.strip()
    if len(shown) > SHOWN_PHRASE:
        shown = "…" + shown[-SHOWN_PHRASE:]
    return shown + continuation


def build_app() -> gr.Blocks:
    with gr.Blocks(title="Next word") as app:
        gr.Markdown("Type the start of a sentence and press **Predict**: an LSTM trained on *The "
                    "Adventures of Sherlock Holmes* shows its five likeliest next words. Then let it "
                    "**continue** your text: a low temperature picks safe, likely words, a high one "
                    "takes risks; the same seed always gives the same text.")
        with gr.Row():
            with gr.Column():
                phrase = gr.Textbox(label="Your phrase", lines=3, placeholder="I had seen little of Holmes")
                predict_button = gr.Button("Predict", variant="primary")
                gr.Examples(examples=EXAMPLES, inputs=phrase)
            with gr.Column():
                label = gr.Label(num_top_classes=5, label="Most likely next word", elem_classes=[ANSWER_CLASS])
                read = gr.HighlightedText(label="What the model read", color_map={UNK: "orange"},
                                          show_inline_category=True)
                note = gr.Markdown(elem_classes=[ANSWER_CLASS])
        with gr.Row():
            words = gr.Slider(1, MAX_WORDS, value=25, step=1, label="Words to add (punctuation counts)")
            temperature = gr.Slider(0, MAX_TEMPERATURE, value=0.8, step=0.05,
                                    label="Temperature (0 = always the likeliest)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
        continue_button = gr.Button("Continue the text")
        continuation = gr.Textbox(label="Your phrase, continued", lines=5, interactive=False,
                                  elem_classes=[ANSWER_CLASS])

        predict_button.click(predict, inputs=phrase, outputs=label, api_name="next_word")
        predict_button.click(tokens, inputs=phrase, outputs=[read, note], api_name="next_word_tokens")
        phrase.submit(predict, inputs=phrase, outputs=label, api_visibility="private")
        phrase.submit(tokens, inputs=phrase, outputs=[read, note], api_visibility="private")
        continue_button.click(continue_phrase, inputs=[phrase, words, temperature, seed], outputs=continuation,
                              api_name="next_word_continue")
    return app


if __name__ == "__main__":
    launch(build_app(), parse_args(__doc__, port=7863))
