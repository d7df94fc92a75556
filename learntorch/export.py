"""The demo checkpoints as ONNX files, for the models that run inside the site's pages.

    python -m learntorch.export [--out build/models]

For each demo model it writes ``MODEL.onnx`` (graph and weights in one file, opset 18,
made by ``torch.onnx.export(..., dynamo=True)``) and ``MODEL.json``, MODEL being the
name the page knows it by (digits, fashion, next_word): what the page needs
beside the model (class names or vocabulary, the preprocessing constants, the names of
the inputs and outputs) and the SHA-256 of every checkpoint file it came from, so that
:func:`stale` can tell when a checkpoint has changed since its export. The site's build
copies both into ``assets/models/``; onnxruntime-web runs the ``.onnx`` in the browser.
"""

import argparse
import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from learntorch import checkpoints, inputs
from learntorch.checkpoints import load_card
from learntorch.data import FASHION_CLASSES
from learntorch.digits import preprocess as digit_steps
from learntorch.digits.model import CLASSES as DIGIT_CLASSES
from learntorch.digits.model import MNIST_MEAN, MNIST_STD, DigitCNN
from learntorch.digits.recipe import NAME as DIGITS
from learntorch.fashion import preprocess as garment_steps
from learntorch.fashion.model import FashionTransferNet
from learntorch.fashion.recipe import NAME as FASHION
from learntorch.next_word.generate import CONTEXT
from learntorch.next_word.model import NextWordLSTM
from learntorch.next_word.predict import MAX_CHARS, load_next_word
from learntorch.next_word.recipe import NAME as NEXT_WORD
from learntorch.paths import CHECKPOINTS_DIR, ROOT

OUT = ROOT / "build" / "models"
OPSET = 18
MODELS = {"digits": DIGITS, "fashion": FASHION, "next_word": NEXT_WORD}  # page -> checkpoint folder


@dataclass
class Export:
    """One model as the page gets it: a module, example inputs and what to write beside it."""
    name: str                       # the page's name for it: the file names of the export
    checkpoint: str                 # its folder in checkpoints/
    module: nn.Module
    inputs: dict[str, torch.Tensor]  # input name -> example tensor
    outputs: list[str]
    dynamic: dict                   # input name -> {axis: torch.export.Dim}
    meta: dict                      # for the page: classes or vocabulary, preprocessing constants


class NextWordStep(nn.Module):
    """The LSTM with its state as explicit inputs and outputs: ids (1, T), h, c -> logits of
    the token after the last id (1, vocab), and the new h and c. Zeros for h and c give the
    same logits as no state, so one graph both reads a prompt and then takes one step at a
    time while a continuation is written."""

    def __init__(self, model: NextWordLSTM):
        super().__init__()
        self.model = model

    def forward(self, ids, h, c):
        logits, (h, c) = self.model(ids, (h, c), last_only=True)  # (1, 1, vocab)
        return logits[:, -1], h, c


def image_export(name: str, checkpoint: str, model: nn.Module, classes, preprocessing: dict) -> Export:
    """An image classifier: (N, 1, 28, 28) -> (N, classes) logits."""
    batch = torch.export.Dim("batch", max=1024)
    return Export(name, checkpoint, model, {"image": torch.zeros(1, 1, 28, 28)}, ["logits"],
                  {"image": {0: batch}},
                  {"classes": list(classes),
                   "preprocessing": {**preprocessing, "max_pixels": inputs.MAX_PIXELS}})


def exports() -> list[Export]:
    """The three demo models, loaded from their (verified) checkpoints."""
    lstm, vocab = load_next_word(CHECKPOINTS_DIR / NEXT_WORD)
    state = (lstm.lstm.num_layers, 1, lstm.lstm.hidden_size)  # (layers, batch, hidden) of h and c
    time_steps = torch.export.Dim("time", min=1, max=CONTEXT)
    return [
        image_export("digits", DIGITS, checkpoints.load(DigitCNN, CHECKPOINTS_DIR / DIGITS), DIGIT_CLASSES, {
            # the model reads (pixel - mean) / std; the rest is learntorch.digits.preprocess.to_mnist's
            "mean": MNIST_MEAN, "std": MNIST_STD,
            "working_side": digit_steps.WORKING_SIDE, "min_contrast": digit_steps.MIN_CONTRAST,
            "ink_threshold": digit_steps.INK_THRESHOLD, "digit_box": digit_steps.DIGIT_BOX,
            "canvas": digit_steps.CANVAS, "centre": digit_steps.CENTRE}),
        image_export("fashion", FASHION, checkpoints.load(FashionTransferNet, CHECKPOINTS_DIR / FASHION,
                                                          pretrained=False), FASHION_CLASSES, {
            # the model itself resizes and normalises; this is learntorch.fashion.preprocess.to_fashion's
            "working_side": garment_steps.WORKING_SIDE, "min_contrast": garment_steps.MIN_CONTRAST,
            "object_threshold": garment_steps.OBJECT_THRESHOLD, "side": garment_steps.SIDE}),
        Export("next_word", NEXT_WORD, NextWordStep(lstm).eval(),
               # h and c must be two tensors: one tensor given twice would become one input
               {"ids": torch.ones(1, 8, dtype=torch.int64), "h": torch.zeros(state), "c": torch.zeros(state)},
               ["logits", "h_out", "c_out"], {"ids": {1: time_steps}, "h": None, "c": None},
               {"vocabulary": vocab.itos, "pad_index": vocab.pad_index, "unk_index": vocab.unk_index,
                "state_shape": list(state), "context": CONTEXT, "max_chars": MAX_CHARS}),
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def checkpoint_hashes(name: str) -> dict[str, str]:
    """SHA-256 of every file of ``checkpoints/NAME`` (weights, card, vocabulary)."""
    folder = CHECKPOINTS_DIR / name
    return {path.name: sha256(path) for path in sorted(folder.iterdir()) if path.is_file()}


def write(export: Export, out: Path) -> dict:
    """Export one model to ``out/MODEL.onnx`` and describe it in ``out/MODEL.json``."""
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / f"{export.name}.onnx"
    with warnings.catch_warnings():  # torch.export's own deprecation notes, nothing about the model
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", "The tensor attributes", UserWarning)
        torch.onnx.export(export.module.eval(), tuple(export.inputs.values()), onnx_path, dynamo=True,
                          opset_version=OPSET, external_data=False,  # the weights inside the one file
                          input_names=list(export.inputs), output_names=export.outputs,
                          dynamic_shapes=tuple(export.dynamic.values()), verbose=False)
    info = {
        "name": export.name,
        "model": onnx_path.name,
        "bytes": onnx_path.stat().st_size,
        "sha256": sha256(onnx_path),
        "opset": OPSET,
        "torch_version": torch.__version__,
        "test_metrics": load_card(CHECKPOINTS_DIR / export.checkpoint)["test_metrics"],
        "checkpoint": export.checkpoint,
        "checkpoint_sha256": checkpoint_hashes(export.checkpoint),
        "inputs": list(export.inputs),
        "outputs": export.outputs,
        **export.meta,
    }
    (out / f"{export.name}.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    return info


def stale(out: Path = OUT) -> list[str]:
    """Why the exports in ``out`` do not match the checkpoints: one line per problem, none if current."""
    problems = []
    for name, checkpoint in MODELS.items():
        info_path = out / f"{name}.json"
        if not info_path.is_file():
            problems.append(f"{name}: not exported")
            continue
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if info["checkpoint"] != checkpoint or info["checkpoint_sha256"] != checkpoint_hashes(checkpoint):
            problems.append(f"{name}: checkpoints/{checkpoint} changed since it was exported")
        model = out / info["model"]
        if not model.is_file() or sha256(model) != info["sha256"]:
            problems.append(f"{name}: {model.name} is missing or not the file that was exported")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write (default {OUT})")
    args = parser.parse_args()
    with torch.no_grad():
        for export in exports():
            info = write(export, args.out)
            print(f"{info['model']:<24} {info['bytes'] / 1e6:6.2f} MB   opset {info['opset']}")


if __name__ == "__main__":
    main()
