"""The three demos: which module serves each, which lesson trained its model, its card."""

import os
from dataclasses import dataclass

from learntorch.checkpoints import CHECKPOINTS_DIR, load_card

# `make serve` points this at the local copy of the site it serves beside the demos.
SITE_URL = os.environ.get("LEARNTORCH_SITE_URL", "https://learntorch.github.io/learntorch/")
REPO_URL = "https://github.com/learntorch/learntorch"


@dataclass(frozen=True)
class Demo:
    title: str
    module: str
    checkpoint: str
    lesson: str  # lesson file stem
    what: str  # "what am I looking at", for a first-time visitor; Markdown, so `<unk>` in backticks
    port: int  # when served on its own

    def card(self) -> dict:
        return load_card(CHECKPOINTS_DIR / self.checkpoint)

    def lesson_url(self) -> str:
        return f"{SITE_URL}lessons/{self.lesson}/"

    def card_url(self) -> str:
        return f"{REPO_URL}/blob/main/checkpoints/{self.checkpoint}/card.json"


DEMOS = (
    Demo("Draw a digit", "demos.digits", "digits", "09_cnn",
         "A convolutional network trained on MNIST's 60 000 handwritten digits reads the digit "
         "you draw. It sees your drawing the way MNIST stores digits: cropped to the ink, scaled "
         "into a 20 x 20 box and centred in 28 x 28 pixels (shown beside the answer).", 7861),
    Demo("Classify a garment", "demos.fashion", "fashion", "10_transfer_learning",
         "An EfficientNet-Lite0 pretrained on ImageNet, fine-tuned on Fashion-MNIST's ten "
         "clothing classes. A photo is turned into what Fashion-MNIST looks like (grey, light "
         "object on black, centred) before the model sees it.", 7862),
    Demo("Next word", "demos.next_word", "next_word", "12_lstm_next_word",
         "An LSTM language model trained on the first 80% of The Adventures of Sherlock Holmes "
         "guesses the next word of your phrase and can continue it. Words it never saw in "
         "training become `<unk>`.", 7863),
)
