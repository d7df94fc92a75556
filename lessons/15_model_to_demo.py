# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 15. From a trained model to a demo

# %% [markdown]
# ## What you will learn
#
# - What a training run consists of besides its weights (the optimizer's, the scheduler's
#   and the gradient scaler's state, the epoch, every random number generator), and how to
#   save it part-way and resume it so that the result is the same, bit for bit, as a run
#   that never stopped.
# - Why loading a pickled file can run code, what `torch.load(weights_only=True)` refuses,
#   and why the course stores its models in **safetensors** files with a model card.
# - How to turn a trained model into a program that no longer needs its Python class:
#   `torch.export`, then ONNX, run and checked with onnxruntime. These are the files the
#   course's pages run in your browser.
# - How to put a model behind a small web app with Gradio, call it from Python with
#   `gradio_client`, and shut it down cleanly.
#
# ## What this assumes
#
# Lesson 4 (optimizers and schedulers), lesson 6 (the training loop with a `GradScaler`,
# the Fashion-MNIST splits and `make_mlp`) and lesson 9 (the digit CNN, whose trained checkpoint the
# second half of this page exports and serves).
#
# Part 1 trains on the CPU on purpose: there PyTorch's operations give the same bits every
# time they run on the same inputs with the same number of threads, which is what an exact
# resume needs. On a GPU, the same also requires
# deterministic kernels (`torch.use_deterministic_algorithms(True)`), and the code is the
# same otherwise.

# %%
import atexit
import json
import pickle
import random
import shutil
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn.functional as F
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image
from safetensors.torch import load_file, save_file

from demos.common import MAX_UPLOAD, checked_before_decoding, enlarged_preview, friendly_errors, gr
from demos.digits import EXAMPLES
from learntorch import checkpoints, export
from learntorch.data import image_tensors
from learntorch.device import seed_everything
from learntorch.digits.model import DigitCNN, normalise_digits
from learntorch.digits.predict import read_digit
from learntorch.inputs import BadInput
from learntorch.mlp import make_mlp
from learntorch.plots import image_grid, plot_curves
from learntorch.profile import pick
from learntorch.resume import load_run, rng_states, save_run
from learntorch.show import show_source
from learntorch.splits import fashion_splits, make_loaders
from learntorch.train import evaluate

device = torch.device("cpu")
workspace = Path(tempfile.mkdtemp(prefix="lesson15-"))  # every file this page writes goes here
atexit.register(shutil.rmtree, workspace, ignore_errors=True)  # removed when Python exits
print("torch", torch.__version__, "| onnxruntime", onnxruntime.__version__, "| gradio", gr.__version__)

# %% [markdown]
# ## Part 1: save a run, resume it exactly
#
# A long training run gets interrupted: a laptop goes to sleep, a shared GPU machine
# ends your session, a cloud instance is reclaimed. Saving the weights every epoch sounds
# like enough. It is not, if the aim is to continue **as if nothing had happened**. A
# training step reads much more than the weights:
#
# | Piece | What it holds | What goes wrong without it |
# |---|---|---|
# | the model's `state_dict()` | parameters, and buffers such as batch norm's running mean and variance | nothing to resume |
# | the optimizer's `state_dict()` | per parameter, Adam's two running averages of the gradient and of its square, and the step count | the next steps start from zero averages: a different path |
# | the scheduler's `state_dict()` | how many steps it has taken, hence the current learning rate | the learning rate jumps back to its first value |
# | the `GradScaler`'s `state_dict()` | the current loss scale for float16 on a GPU, and how long it has been stable | the scale restarts and the first steps may be skipped |
# | the epoch | where to carry on | epochs are repeated or skipped |
# | random number generators | the next shuffle order, the next dropout masks, the next augmentation | different batches and masks from then on |
#
# Random numbers come from several generators: Python's `random`, NumPy's, torch's own
# on the CPU and one per CUDA device, and any `torch.Generator` a run creates for itself.
# `make_loaders` (lesson 6) is an example of the last: its training loader shuffles with a
# generator of its own, seeded once, so that the order does not depend on what else drew
# random numbers.
#
# The course's helpers `save_run` and `load_run` put all of it in one file:

# %%
show_source(save_run)

# %%
show_source(load_run)

# %% [markdown]
# The random states are collected by `rng_states`. NumPy's state arrives as an array,
# which it turns into a plain list: that keeps the whole file loadable with
# `weights_only=True` (Part 2 explains why that matters).

# %%
show_source(rng_states)

# %% [markdown]
# ### A run to interrupt
#
# A small but real run: the fully connected network of lesson 6 with batch norm and
# dropout, on Fashion-MNIST, with AdamW and a cosine learning-rate schedule. It has every
# piece of the table: buffers, optimizer state, a schedule, and randomness in the shuffle
# and in dropout. `fresh_start` is what the top of a training script does: seed, build the
# loaders, the model, the optimizer, the scheduler and the scaler. Calling it again stands
# in for starting a new process.

# %%
splits = fashion_splits(train_size=pick(smoke=2_000, full=20_000))
EPOCHS = pick(smoke=2, full=4)
HALF = EPOCHS // 2


def fresh_start():
    """What a training script does first: seed, then build everything a run needs."""
    seed_everything(0)
    loaders = make_loaders(splits, batch_size=128)
    model = make_mlp([256], dropout=0.2, batch_norm=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    scaler = torch.amp.GradScaler(device.type, enabled=device.type == "cuda")  # float16 on a GPU only
    return loaders, model, optimizer, scheduler, scaler


def train_epochs(model, optimizer, scheduler, scaler, loader, epochs):
    """The training loop of lesson 6 for the given epoch numbers. Returns the validation loss
    after each epoch, and the training loss of each step."""
    losses, step_losses = [], []
    for _ in epochs:
        model.train()
        for inputs, targets in loader:
            with torch.autocast(device.type, dtype=torch.float16, enabled=scaler.is_enabled()):
                loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step_losses.append(loss.item())
        scheduler.step()
        losses.append(evaluate(model, validation_loader, device=device)[0])
    return losses, step_losses


validation_loader = make_loaders(splits).val
print(f"{len(splits.train):,} training images, {EPOCHS} epochs; the run is interrupted after epoch {HALF}")

# %% [markdown]
# First the reference: the whole run without a break.

# %%
loaders, model, optimizer, scheduler, scaler = fresh_start()
start = time.perf_counter()
straight_losses, straight_steps = train_epochs(model, optimizer, scheduler, scaler, loaders.train, range(1, EPOCHS + 1))
straight = {name: tensor.clone() for name, tensor in model.state_dict().items()}
print(f"{EPOCHS} epochs in {time.perf_counter() - start:.1f} s; validation loss per epoch",
      [round(loss, 4) for loss in straight_losses])

# %% [markdown]
# Now the same run from the start, stopped after epoch `HALF` and saved. Two files: one
# with everything, and one made by a careless caller who did not mention the loader's
# generator (we will need it in a moment).

# %%
loaders, model, optimizer, scheduler, scaler = fresh_start()
first_half, first_half_steps = train_epochs(model, optimizer, scheduler, scaler, loaders.train, range(1, HALF + 1))
run_file = save_run(workspace / "run.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                    scaler=scaler, epoch=HALF, generators={"shuffle": loaders.train.generator},
                    val_losses=first_half)
careless_file = save_run(workspace / "run-without-generator.pt", model=model, optimizer=optimizer,
                         scheduler=scheduler, scaler=scaler, epoch=HALF, val_losses=first_half)
weights_bytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
print(f"saved after epoch {HALF}: {run_file.name}, {run_file.stat().st_size / 1e6:.2f} MB; the weights and "
      f"buffers alone: {weights_bytes / 1e6:.2f} MB (the file is {run_file.stat().st_size / weights_bytes:.1f} times that)")

# %% [markdown]
# ### What the file holds
#
# The file is read back here the way `load_run` reads it, with `weights_only=True`:

# %%
saved = torch.load(run_file, weights_only=True)
print("keys:", list(saved))
print("epoch:", saved["epoch"], "| extra:", {k: [round(v, 4) for v in vs] for k, vs in saved["extra"].items()})
first_weight = saved["optimizer"]["state"][0]
print("optimizer state of the first parameter:",
      {name: tuple(value.shape) for name, value in first_weight.items()})
print("optimizer settings:", {k: saved["optimizer"]["param_groups"][0][k]
                              for k in ("lr", "initial_lr", "betas", "weight_decay")})
print("scheduler:", {k: saved["scheduler"][k] for k in ("last_epoch", "T_max", "_last_lr")})
print("scaler:", saved["scaler"] or "{} (disabled: no float16 on this device)")
print("random states:", {name: (f"{len(state[1])} numbers" if name in ("python", "numpy")
                                else f"{len(state)} tensors" if isinstance(state, list)
                                else f"{state.numel():,} bytes")
                         for name, state in saved["rng"].items()})
print("own generators:", {name: f"{state.numel():,} bytes" for name, state in saved["generators"].items()})

# %% [markdown]
# The file is about three times the size of the weights: for each parameter, AdamW keeps
# two tensors of the same shape (`exp_avg` and `exp_avg_sq`), besides a step count. The
# scheduler is a handful of numbers; the learning rate it reached is among them. On this
# CPU the scaler is disabled and has nothing to save; on a GPU training in float16 it
# holds the current loss scale.
#
# ### Resumed: bit for bit
#
# A fresh start, as a new process would make: new seeds, a new model with new random
# weights, a new optimizer. `load_run` replaces all of it with the saved state, and the
# loop continues from the epoch after the saved one.

# %%
def resume(restore):
    """A fresh start, then restore(...) puts back what it can; train the remaining epochs."""
    loaders, model, optimizer, scheduler, scaler = fresh_start()
    done = restore(model, optimizer, scheduler, scaler, loaders.train.generator)
    losses, steps = train_epochs(model, optimizer, scheduler, scaler, loaders.train, range(done + 1, EPOCHS + 1))
    return model, losses, steps


def everything(model, optimizer, scheduler, scaler, shuffle):
    state = load_run(run_file, model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler,
                     generators={"shuffle": shuffle})
    return state["epoch"]


def largest_difference(model):
    """The largest absolute difference between model's weights and buffers and the straight run's."""
    return max((tensor.double() - straight[name].double()).abs().max().item()
               for name, tensor in model.state_dict().items())


resumed, second_half, resumed_steps = resume(everything)
identical = all(torch.equal(tensor, straight[name]) for name, tensor in resumed.state_dict().items())
print("validation loss per epoch, straight:", [round(loss, 4) for loss in straight_losses])
print("                           resumed: ", [round(loss, 4) for loss in first_half + second_half])
print(f"every weight and buffer identical: {identical} (largest difference {largest_difference(resumed):.1e})")

# %% [markdown]
# Every weight and every batch-norm statistic of the resumed run is equal to the
# uninterrupted run's, down to the last bit (the difference printed is the largest over
# all of them). The validation losses match for the same reason. (The course's tests
# repeat this with the second half in a separate Python process.) Bit for bit also takes
# the same machine, the same library versions and the same number of threads: a sum
# split over another number of threads can round differently in its last bit.
#
# ### When a piece is missing
#
# What if the file lacks one of the pieces? Two mistakes that are easy to make: the loader's
# own generator is not saved (the careless file), or the random states are not restored
# (everything else is loaded by hand from the complete file).

# %%
def without_generator(model, optimizer, scheduler, scaler, shuffle):
    # The careless file has no generator state; the fresh loader's generator starts again
    # from its seed, so the next epoch shuffles exactly as the first one did.
    return load_run(careless_file, model=model, optimizer=optimizer, scheduler=scheduler,
                    scaler=scaler)["epoch"]


def without_random_states(model, optimizer, scheduler, scaler, shuffle):
    state = torch.load(run_file, weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    shuffle.set_state(state["generators"]["shuffle"])
    return state["epoch"]  # torch's own RNG is where fresh_start left it: new dropout masks


print(f"{'run':<40}{'largest difference':>20}{'final validation loss':>24}")
print(f"{'straight, never stopped':<40}{'':>20}{straight_losses[-1]:>24.4f}")
print(f"{'resumed with everything (above)':<40}{largest_difference(resumed):>20.1e}{second_half[-1]:>24.4f}")
steps_after_resume = {"never stopped": straight_steps[len(first_half_steps):],
                      "resumed with everything": resumed_steps}
for name, restore in (("resumed without the loader's generator", without_generator),
                      ("resumed without the random states", without_random_states)):
    model, losses, steps_after_resume[name] = resume(restore)
    print(f"{name:<40}{largest_difference(model):>20.1e}{losses[-1]:>24.4f}")

# %% [markdown]
# The training loss of the first steps after the resume, for each run:

# %%
shown = pick(smoke=10, full=40)
plot_curves({name: steps[:shown] for name, steps in steps_after_resume.items()},
            title=f"training loss in the first {shown} steps after resuming at epoch {HALF + 1}",
            xlabel="step", ylabel="training loss")
plt.show()

# %% [markdown]
# Only the complete file gives the straight run back: its curve lies exactly on the
# never-stopped one, which it hides. The two incomplete resumes take other steps from the
# first one on. Without the loader's generator the resumed epochs see the images in the
# order of the first epochs; without the random states, dropout silences different units.
# Each of these runs is still a sensible
# training run (compare their final validation losses, printed above, with the straight
# run's): the damage is not a broken model but a result that nobody can reproduce, and a
# comparison between two settings that no longer differ in one thing only.
#
# Two practical habits go with this. Save at the end of every epoch (or every N steps)
# and keep the last few files, and write each one under a temporary name, then rename it:
# `save_run` does that with `os.replace`, so a crash while saving never leaves a
# half-written file in place of the last good one.
#
# ## Part 2: loading a file can run code
#
# `torch.save` writes Python's **pickle** format (inside a zip file, with the tensors'
# bytes stored beside it). A pickle does not store objects as data only: it stores how to
# rebuild them, and for any object that asks for it, that is "call this function with these
# arguments". The loader makes the call. The function can be anything importable.
#
# ### A pickle that does more than load
#
# A harmless but real demonstration. This class tells pickle to rebuild it by calling
# `exec` on a line of Python code; the code writes a file into this page's temporary folder
# and prints a line:

# %%
proof = workspace / "written-while-loading.txt"


class NotJustWeights:
    """An object that, when unpickled, makes the loader run a line of Python."""

    def __reduce__(self):
        # pickle stores (function, arguments); loading calls function(*arguments)
        code = (f"import pathlib; pathlib.Path({str(proof)!r}).write_text('this file was written by loading a model'); "
                "print('>>> this line was printed by loading the file')")
        return (exec, (code,))


booby_trapped = workspace / "model.pt"
torch.save({"weights": resumed.state_dict(), "note": NotJustWeights()}, booby_trapped)
print(f"saved {booby_trapped.name}; {proof.name} exists: {proof.exists()}")

# %% [markdown]
# Loading it the old way, with `weights_only=False`:

# %%
loaded = torch.load(booby_trapped, weights_only=False)
print(f"{proof.name} exists: {proof.exists()}; it says: {proof.read_text()!r}")
print("the loaded dict's keys:", list(loaded), "| its 'note':", loaded["note"])

# %% [markdown]
# The load printed a line and wrote a file, and then returned the weights as if nothing
# had happened (the "note" is whatever `exec` returned: `None`). In place of `exec` and a
# harmless line, a file from a stranger could name any function: delete files, read your
# keys, start a program. Nothing about the file's name or size gives it away.
#
# ### weights_only=True
#
# `torch.load(..., weights_only=True)` uses a restricted unpickler: it rebuilds tensors,
# numbers, strings, lists, tuples, dicts and a short list of torch types, and refuses any
# other function. Since PyTorch 2.6 it is the default when `weights_only` is not given;
# older versions defaulted to `False`, so pass it explicitly.

# %%
proof.unlink()
try:
    torch.load(booby_trapped, weights_only=True)
except pickle.UnpicklingError as error:
    reason = next(line for line in str(error).splitlines() if "Unsupported global" in line)
    print("refused:", reason.strip())
print(f"{proof.name} exists: {proof.exists()}")
state = torch.load(run_file, weights_only=True)  # the resume file holds only allowed types
print(f"{run_file.name} loads with weights_only=True: {len(state['model'])} tensors of the model, epoch {state['epoch']}")

# %% [markdown]
# The refusal names the function the file wanted called: `exec`. The resume file of
# Part 1 loads fine, because `save_run` puts nothing but tensors and plain values in it.
# For anything else, `torch.serialization.add_safe_globals` lets you allow a class you
# trust, one by one.
#
# ### safetensors: tensors and nothing else
#
# The **safetensors** format removes the question altogether. A file is a small JSON header
# (each tensor's name, dtype, shape and where its bytes are), then the raw bytes. Loading
# reads the header and copies (or memory-maps) the bytes: there is nothing to execute. It
# also cannot hold anything that is not a tensor:

# %%
weights_file = workspace / "mlp.safetensors"
save_file(resumed.state_dict(), weights_file)
try:
    save_file({**resumed.state_dict(), "note": NotJustWeights()}, workspace / "refused.safetensors")
except (TypeError, ValueError) as error:
    print(f"refused: {type(error).__name__}: {str(error).split(' but received')[0]}")
raw = weights_file.read_bytes()
header_length = int.from_bytes(raw[:8], "little")  # the first 8 bytes: the header's length
header = json.loads(raw[8:8 + header_length])
for name, entry in list(header.items())[:4]:
    print(f"{name:<20} {entry}")
print(f"... {len(header)} entries; header {header_length} bytes, file {len(raw):,} bytes")
reloaded = load_file(weights_file)
print("same tensors after loading:", all(torch.equal(reloaded[n], t) for n, t in resumed.state_dict().items()))

# %% [markdown]
# Every demo model of the course is stored this way: `checkpoints/<name>/model.safetensors`,
# beside a **model card**, `card.json`, that says what the weights are: the architecture's
# arguments, the classes, the data and split, the test metrics, how long and on what it
# trained, the torch version and git commit, and the SHA-256 of the weights file. Loading
# rebuilds the model from the card's arguments, checks the hash, and loads with
# `strict=True`, so every tensor must fit:

# %%
show_source(checkpoints.load_weights)

# %%
digit_folder = checkpoints.CHECKPOINTS_DIR / "digits"
card = checkpoints.load_card(digit_folder)
for key in ("task", "architecture", "test_metrics", "epochs", "device", "torch_version", "parameters"):
    print(f"{key:>14}: {card[key]}")
print(f"{'sha256':>14}: {card['sha256'][:16]}...")
digit_model = checkpoints.load(DigitCNN, digit_folder)
print("loaded", type(digit_model).__name__, "in eval mode:", not digit_model.training)

# %% [markdown]
# A file that changed after its card was written, by a bad download or a wrong copy, is
# refused with a message instead of quietly loading other weights. A copy with one byte
# changed:

# %%
damaged = workspace / "digits-damaged"
shutil.copytree(digit_folder, damaged)
data = bytearray((damaged / "model.safetensors").read_bytes())
data[-1] ^= 0xFF  # flip the bits of the last byte: one weight changes
(damaged / "model.safetensors").write_bytes(bytes(data))
try:
    checkpoints.load(DigitCNN, damaged)
except checkpoints.CheckpointError as error:
    print("CheckpointError:", str(error).replace(str(workspace), "<workspace>"))

# %% [markdown]
# A checkpoint is still only weights: to use it you need Python, PyTorch, and the class
# `DigitCNN` whose layers the weights fill. That is fine for the course's own Gradio
# demos. A web page, a phone app or a server written in another language has none of
# them, which is what exporting is for.
#
# ## Part 3: the model as a program of its own
#
# ### torch.export
#
# `torch.export.export(model, example_inputs)` runs the model once on example inputs,
# records every tensor operation it performs, and returns an **ExportedProgram**: the
# graph of those operations, the weights, and what the program assumes about its inputs'
# shapes. Python control flow is gone: an `if` or a loop is recorded as the branch and the
# number of iterations that the example took.
#
# The course's export module, `learntorch.export`, is what builds the ONNX files that the
# site's pages run; `exports()` describes the three demo models (each loaded from its
# verified checkpoint) with example inputs and the input dimensions that may vary.
# We take its description of the digit model:

# %%
show_source(export.image_export)

# %%
digits = next(entry for entry in export.exports() if entry.name == "digits")
print("name:", digits.name, "| checkpoint:", digits.checkpoint)
print("example inputs:", {name: tuple(x.shape) for name, x in digits.inputs.items()}, "| outputs:", digits.outputs)
print("dimensions that may vary:", {name: {axis: str(dim) for axis, dim in axes.items()}
                                    for name, axes in digits.dynamic.items()})

# %% [markdown]
# The batch dimension is declared dynamic: the exported program must accept any number
# of images up to 1024, not only the single image of the example. One catch: from an
# example of size 1, `torch.export` cannot tell whether that dimension is a true batch or
# a size that broadcasting relies on, so it refuses:

# %%
dynamic_shapes = tuple(digits.dynamic.values())  # ({0: batch},) for the one input
try:
    torch.export.export(digits.module, tuple(digits.inputs.values()), dynamic_shapes=dynamic_shapes)
except Exception as error:
    print(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    print(next(line.strip() for line in str(error).splitlines() if "specialized" in line))

# %% [markdown]
# (The ONNX exporter below sets an option that lifts this restriction for batches, so
# `learntorch.export` can keep its single example image.) With an example batch of two
# images, the export goes through. Here is the program, one line per operation, with the
# shape of what each produces:

# %%
program = torch.export.export(digits.module, (torch.zeros(2, 1, 28, 28),), dynamic_shapes=dynamic_shapes)
for node in program.graph.nodes:
    if node.op == "call_function":
        shape = tuple(str(size) for size in node.meta["val"].shape)
        print(f"{node.name:<14} {str(node.target):<32} -> ({', '.join(shape)})")
kinds = Counter(spec.kind.name for spec in program.graph_signature.input_specs)
print("inputs of the graph:", dict(kinds))
print("sizes that vary:", {str(symbol): f"from {bounds.lower} to {bounds.upper}"
                           for symbol, bounds in program.range_constraints.items()})

# %% [markdown]
# This is lesson 9's network written out: two convolution blocks (convolution, batch norm,
# ReLU, max pooling), flatten, dropout, two linear layers. The shapes carry a symbol where
# the batch size goes; every other size is fixed. The weights and buffers became inputs of
# the graph (`PARAMETER`, `BUFFER`) next to the one image input (`USER_INPUT`). Dropout
# is still written down, with its "training" flag false: the model was exported in eval
# mode, so it does nothing.
#
# The program runs without `DigitCNN`: `program.module()` is a module built from the graph.
# It must give the same logits as the model, for any batch size, and refuse inputs that
# break its assumptions:

# %%
mnist_images, mnist_labels = image_tensors("MNIST", train=False)  # the 10 000 test digits, uint8
test_inputs = normalise_digits(mnist_images.unsqueeze(1).float() / 255)  # (10000, 1, 28, 28)
exported_module = program.module()
with torch.no_grad():
    for size in (1, 5, 300):
        difference = (exported_module(test_inputs[:size]) - digits.module(test_inputs[:size])).abs().max()
        print(f"batch of {size:>3}: largest difference from the model {difference.item():.1e}")
    try:
        exported_module(torch.zeros(1, 1, 32, 32))
    except Exception as error:
        print(f"a 32 x 32 image: {type(error).__name__}: {str(error).splitlines()[0]}")

# %% [markdown]
# An exported program can be saved as a `.pt2` file and loaded in a process that has
# PyTorch but not the model's code (`torch.export.save` and `torch.export.load`); it is
# also the input of PyTorch's compilers for servers and phones. It still needs PyTorch.
#
# ### ONNX, checked with onnxruntime
#
# **ONNX** (Open Neural Network Exchange) is a file format for such graphs that many
# runtimes read: onnxruntime (for Python, C++, C#, Java, and in a browser through
# WebAssembly), TensorRT, OpenVINO, Core ML converters. `torch.onnx.export(...,
# dynamo=True)` runs `torch.export` and translates each operation into ONNX's. The
# course's `write` does that for one model, with the weights inside the `.onnx` file, and
# writes a JSON file beside it with what a page needs (class names, preprocessing
# constants) and the hash of the checkpoint it came from:

# %%
show_source(export.write)

# %%
onnx_folder = workspace / "onnx"
start = time.perf_counter()
info = export.write(digits, onnx_folder)
print(f"exported in {time.perf_counter() - start:.1f} s: {info['model']} {info['bytes'] / 1e6:.2f} MB, "
      f"opset {info['opset']}, from checkpoints/{info['checkpoint']} "
      f"(sha256 {info['checkpoint_sha256']['model.safetensors'][:12]}...)")
print("written:", sorted(path.name for path in onnx_folder.iterdir()))

# %% [markdown]
# The ONNX graph, read with the `onnx` package: its inputs and outputs with their shapes
# (a name stands for a dimension that varies), and how many nodes of each operation
# type it has.

# %%
onnx_model = onnx.load(onnx_folder / info["model"])
for kind, values in (("input", onnx_model.graph.input), ("output", onnx_model.graph.output)):
    for value in values:
        dims = [dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim]
        print(f"{kind}: {value.name} {dims}")
print("operations:", dict(Counter(node.op_type for node in onnx_model.graph.node)))
print("stored tensors:", len(onnx_model.graph.initializer))

# %% [markdown]
# Compare with the `torch.export` program above: no batch norm and no dropout. The
# exporter simplified the graph for inference: a batch norm in eval mode is a fixed
# scale and shift per channel, which it folded into the weights and a bias of the
# convolution before it, and dropout in eval mode does nothing, so it was removed. Each
# `Gemm` is a linear layer (a general matrix multiplication plus a bias).
#
# Simplified, but is it the same function? onnxruntime runs the file; compare its
# logits with PyTorch's on all of MNIST's test digits:

# %%
options = onnxruntime.SessionOptions()
options.log_severity_level = 3  # errors only
session = onnxruntime.InferenceSession(onnx_folder / info["model"], options)
print("onnxruntime inputs:", [(i.name, i.shape) for i in session.get_inputs()],
      "| outputs:", [(o.name, o.shape) for o in session.get_outputs()])
with torch.no_grad():
    torch_logits = torch.cat([digit_model(batch) for batch in test_inputs.split(1000)])
onnx_logits = np.concatenate([session.run(None, {"image": batch.numpy()})[0]
                              for batch in test_inputs.split(1000)])
print(f"largest logit difference on {len(test_inputs):,} digits: "
      f"{np.abs(onnx_logits - torch_logits.numpy()).max():.1e}")
print(f"same predicted digit: {(onnx_logits.argmax(1) == torch_logits.argmax(1).numpy()).mean():.2%}")
print(f"test accuracy: torch {(torch_logits.argmax(1) == mnist_labels).float().mean():.4f}, "
      f"onnxruntime {(onnx_logits.argmax(1) == mnist_labels.numpy()).mean():.4f}, "
      f"model card {card['test_metrics']['accuracy']:.4f}")

# %% [markdown]
# The logits differ in the last digits only (folding batch norm and running other kernels
# rounds differently in float32), and the predicted digit is the same for the share of
# images printed above. The course's tests check every export this way: each logit
# within 1e-4 of PyTorch's. This `.onnx` file is the one `python -m learntorch.export`
# writes for the site, where onnxruntime-web runs it inside your browser on the
# [Demos page](../../demos/) and at the end of lesson 9, with the preprocessing ported to
# JavaScript and no server at all.
#
# ## Part 4: a demo with Gradio
#
# A model on a server, behind a web page, is the other way to let people try it.
# **Gradio** builds that page from Python: you declare input and output components and
# connect them with a function; it serves the page, and an HTTP API for each function you
# name. The course's demos (`python -m demos`) are built like this, and the pattern is
# short: the Gradio file wires components only, and the work happens in `learntorch`.
#
# The function the digit demo calls, `read_digit`, turns any picture into the 28 x 28
# image MNIST's digits look like (lesson 9), runs the checkpoint, and returns the
# probabilities and the image the model saw:

# %%
show_source(read_digit)

# %% [markdown]
# Bad input should get a clear message rather than a stack trace. The demos wrap their
# functions in `friendly_errors`: a `BadInput` from `learntorch` becomes a `gr.Error`
# with its message, which Gradio shows to the visitor (and sends to an API client), and
# any other failure becomes a short apology while the server keeps running.

# %%
show_source(friendly_errors)

# %% [markdown]
# ### Build
#
# The app: one image input, a button, and the demo's two outputs (the three likeliest
# digits, and the enlarged 28 x 28 input the model saw). `api_name="predict"` names the
# endpoint that a program can call. One more piece comes from the demos: Gradio decodes
# an uploaded picture *before* it calls the function, and reports a file it cannot decode
# as an internal error; `checked_before_decoding` runs every upload through
# `learntorch.inputs.open_image` first, so that such a file gets a clear message too. It
# asks for `type="pil"`: the function receives the decoded picture rather than a path
# into Gradio's cache, where two visitors sending the same picture at the same moment
# could otherwise see one request overwrite the file the other is reading.

# %%
@friendly_errors
def read_picture(picture):
    """Probabilities of the ten digits in a picture, and what the model saw, enlarged."""
    if picture is None:
        raise BadInput("No picture received: upload a photo of one handwritten digit.")
    probabilities, seen = read_digit(picture, model=digit_model)
    return probabilities, enlarged_preview(seen)


with gr.Blocks(title="Read a digit") as app:
    gr.Markdown("Upload a photo of one handwritten digit, then press **Read it**.")
    with gr.Row():
        with gr.Column():
            picture = checked_before_decoding(gr.Image(label="A photo of one digit", type="pil",
                                                       sources=["upload"]))
            read_button = gr.Button("Read it", variant="primary")
        with gr.Column():
            answer = gr.Label(num_top_classes=3, label="The model reads")
            seen_image = gr.Image(label="What the model saw (28 x 28, enlarged)", interactive=False)
    read_button.click(read_picture, inputs=picture, outputs=[answer, seen_image], api_name="predict")
print("components:", [type(block).__name__ for block in app.blocks.values()])

# %% [markdown]
# ### Launch, call, close
#
# `launch` starts a web server. Three choices matter here. `server_name="127.0.0.1"`
# binds to this machine only: nobody else on the network can reach it (the course's
# demos do the same unless told otherwise). A free port, asked of the operating system,
# avoids clashing with another server. And `prevent_thread_lock=True` returns as soon as
# the server runs, instead of blocking the notebook until it stops.
#
# `gradio_client.Client` then calls the endpoint the way any program would, over HTTP:
# `handle_file` uploads a picture, and the answer comes back as Python values (the label
# as a dict, the image as a downloaded file). The three example photos of the digit demo,
# and two bad inputs: a text file and a blank picture. The `finally` block closes the
# client and the server whatever happens, so the page leaves nothing running.

# %%
def free_port() -> int:
    """A TCP port nobody is using right now, chosen by the operating system."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


not_an_image = workspace / "notes.txt"
not_an_image.write_text("this is not a picture")
blank = workspace / "blank.png"
Image.new("RGB", (200, 200), "white").save(blank)
photos = ["three-pencil.png", "five-on-grey.jpg", "eight-chalk.png"]

start = time.perf_counter()
app.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=free_port(),
                                              prevent_thread_lock=True, share=False, inline=False,
                                              quiet=True, show_error=True, max_file_size=MAX_UPLOAD)
client = None
answers = {}
try:
    print(f"server up in {time.perf_counter() - start:.1f} s, on 127.0.0.1 (port {app.server_port})")
    client = Client(app.local_url, verbose=False)
    print("endpoints:", list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]))
    for photo in photos:
        start = time.perf_counter()
        label, preview_file = client.predict(handle_file(str(EXAMPLES / photo)), api_name="/predict")
        answers[photo] = (label, np.asarray(Image.open(preview_file).convert("L")))
        top = ", ".join(f"{c['label']} {c['confidence']:.1%}" for c in label["confidences"])
        print(f"{photo:<18} -> {label['label']}   (top 3: {top}; {1000 * (time.perf_counter() - start):.0f} ms)")
    for bad in (not_an_image, blank):
        try:
            client.predict(handle_file(str(bad)), api_name="/predict")
        except AppError as error:
            print(f"{bad.name:<18} -> the app says: {error}")
finally:
    if client is not None:
        client.close()
    app.close(verbose=False)
print("server running after close():", app.is_running)

# %% [markdown]
# Each answer came over HTTP from the server, as a browser's would. The text file was
# stopped before Gradio tried to decode it, and the blank picture was refused by the
# preprocessing for having no ink; both messages reached the client as Gradio errors
# (`AppError` on the client's side). Here is what the model saw for each photo, as
# returned by the server, with its answer:

# %%
previews = [seen for _, seen in answers.values()]
image_grid(previews, [f"{photo}\nread as {label['label']}" for photo, (label, _) in answers.items()],
           columns=len(previews))
plt.show()

# %% [markdown]
# Outside a notebook, the course's demos run the same way from a terminal,
# `python -m demos.digits` (one demo) or `python -m demos` (all three as tabs), and
# `demos/common.py` adds what a long-running server needs: one CPU thread per prediction,
# a queue that answers four requests at a time, an upload size limit.
#
# ## Recap
#
# - A run's state is more than its weights: the model (parameters and buffers), the
#   optimizer (Adam's averages), the scheduler, the gradient scaler, the epoch, and every
#   random generator, including a loader's own. `save_run` / `load_run` keep all of them;
#   stopped half-way and resumed, the run above ended with the same weights, bit for bit,
#   as one that never stopped. Leaving out the loader's generator or the random states gave
#   different weights.
# - Loading a pickle calls whatever functions the file names: loading the file above
#   printed a line and wrote a file. `torch.load(weights_only=True)` refuses anything but
#   tensors and plain values; safetensors files hold only tensors and a JSON header. The
#   course's checkpoints are safetensors plus a model card with the weights' SHA-256.
# - `torch.export` records the model's operations into a program that runs without its
#   class, with the batch size left free; the ONNX export of the same program runs in
#   onnxruntime, on a server or in a browser, with the same predictions.
# - Gradio wraps a function in a web page and an HTTP API; launch it on 127.0.0.1 with
#   `prevent_thread_lock=True`, call it with `gradio_client`, and close it in a `finally`.
#
# ## Exercises
#
# Each exercise has a worked solution under it. Try it yourself first, then open the
# solution and compare.
#
# **1.** The run above can only be resumed at the end of an epoch. Make it resumable
# after any batch: stop in the middle of an epoch, save, and continue with the rest of
# that epoch's batches, and check that the weights at the end equal the straight run's.
# (Hint: what must be known to produce the rest of that epoch's order of batches?)

# %% tags=["solution"]
# The loader's generator has already drawn this epoch's whole order when the epoch
# started, so its state at the save point is that of the NEXT epoch. Simplest fix: make
# each epoch's order a function of (seed, epoch) and save the number of batches done;
# on resume, rebuild the order and skip those batches.
def epoch_order(epoch, size=len(splits.train), seed=0):
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed * 1_000 + epoch))


def train_batches(model, optimizer, scheduler, scaler, first, stop):
    """Train from (epoch, batch) = first up to, not including, stop; batches of 128."""
    images, labels = splits.train.tensors
    per_epoch = (len(images) + 127) // 128
    epoch, batch = first
    while (epoch, batch) < stop and epoch <= EPOCHS:
        model.train()
        index = epoch_order(epoch)[batch * 128:(batch + 1) * 128]
        loss = F.cross_entropy(model(images[index]), labels[index])
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        batch += 1
        if batch == per_epoch:  # end of an epoch: the schedule moves on
            scheduler.step()
            epoch, batch = epoch + 1, 0
    return epoch, batch


end = (EPOCHS + 1, 0)
_, model, optimizer, scheduler, scaler = fresh_start()
train_batches(model, optimizer, scheduler, scaler, (1, 0), end)
by_batch_straight = {name: tensor.clone() for name, tensor in model.state_dict().items()}

stop_at = (HALF, 7)  # epoch HALF, after its first 7 batches
_, model, optimizer, scheduler, scaler = fresh_start()
position = train_batches(model, optimizer, scheduler, scaler, (1, 0), stop_at)
save_run(workspace / "mid-epoch.pt", model=model, optimizer=optimizer, scheduler=scheduler,
         scaler=scaler, epoch=position[0], batch=position[1])

_, model, optimizer, scheduler, scaler = fresh_start()  # "a new process"
state = load_run(workspace / "mid-epoch.pt", model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler)
train_batches(model, optimizer, scheduler, scaler, (state["epoch"], state["extra"]["batch"]), end)
same = all(torch.equal(tensor, by_batch_straight[name]) for name, tensor in model.state_dict().items())
print(f"saved at epoch {state['epoch']}, batch {state['extra']['batch']}; identical to the straight run: {same}")
# The random states (dropout) come back through load_run; the order of the batches
# needs no saved state at all, because it is recomputed from the seed and the epoch.

# %% [markdown]
# **2.** Resume from the weights alone: load only the model's `state_dict` from the run
# file, with a fresh optimizer and scheduler. How far do the final weights end from the
# straight run, and which learning rate does the first resumed epoch use?

# %% tags=["solution"]
def weights_alone(model, optimizer, scheduler, scaler, shuffle):
    state = torch.load(run_file, weights_only=True)
    model.load_state_dict(state["model"])
    shuffle.set_state(state["generators"]["shuffle"])
    return state["epoch"]  # the optimizer and the scheduler start over


_, _, fresh_optimizer, fresh_scheduler, _ = fresh_start()
print(f"learning rate of a fresh scheduler: {fresh_scheduler.get_last_lr()[0]:.2e}; "
      f"the saved one had reached {saved['scheduler']['_last_lr'][0]:.2e}")
model, losses, _ = resume(weights_alone)
print(f"largest weight difference from the straight run {largest_difference(model):.1e}; final validation "
      f"loss {losses[-1]:.4f} (straight run {straight_losses[-1]:.4f})")
# The fresh AdamW starts with zero averages, and its bias correction makes the first
# steps roughly lr-sized in every weight, whatever the gradient's scale; the fresh
# scheduler also starts the cosine again from its top rate, while the saved one was
# halfway down. The run continues, but on a different path from the straight one.

# %% [markdown]
# **3.** Before loading a pickle from somewhere you do not fully trust, you can look at it
# without running it. Write a function that lists every global (module and name) the
# pickle inside a `torch.save` file would import, using `zipfile` and `pickletools`, and
# run it on the resume file and on the booby-trapped one.

# %% tags=["solution"]
import pickletools
import zipfile


def pickle_globals(path):
    """The (module, name) pairs a torch.save file's pickle would import, without loading it."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read(next(name for name in archive.namelist() if name.endswith("data.pkl")))
    found, strings = set(), []
    for opcode, argument, _ in pickletools.genops(data):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(argument)
        elif opcode.name == "STACK_GLOBAL":  # module and name were pushed just before
            found.add(f"{strings[-2]}.{strings[-1]}")
        elif opcode.name == "GLOBAL":  # older protocols: "module name" in one argument
            found.add(argument.replace(" ", "."))
    return sorted(found)


print("resume file:   ", pickle_globals(run_file))
print("booby-trapped: ", pickle_globals(booby_trapped))
# The resume file names only torch's own rebuild functions and containers. The other
# names exec (under __builtin__, the name pickle's protocol 2 gives the builtins): a
# reason to stop. (A real scanner also follows MEMOIZE/BINGET and
# other tricks; this is the idea, not a security tool. safetensors needs no scanner.)

# %% [markdown]
# **4.** Time the three ways to run the digit CNN: the PyTorch model, the exported
# program (`program.module()`), and the onnxruntime session, on one image and on a batch
# of 256. Which is fastest here, and does the answer change with the batch size?

# %% tags=["solution"]
def milliseconds(run, repeats):
    run()  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return 1000 * (time.perf_counter() - start) / repeats


runners = {
    "PyTorch model": lambda x: digit_model(x),
    "exported program": lambda x: exported_module(x),
    "onnxruntime": lambda x: session.run(None, {"image": x.numpy()}),
}
print(f"{'':<18}{'1 image':>12}{'256 images':>14}")
with torch.no_grad():
    for name, run in runners.items():
        one = milliseconds(lambda: run(test_inputs[:1]), pick(smoke=5, full=100))
        many = milliseconds(lambda: run(test_inputs[:256]), pick(smoke=2, full=10))
        print(f"{name:<18}{one:>10.2f} ms{many:>11.1f} ms")
# For one image, the fixed cost of a call weighs most: PyTorch's eager mode dispatches
# each layer from Python, onnxruntime walks a graph it optimised once. For a big batch
# the time goes into the convolutions themselves, and the kernels matter more than that
# overhead. program.module() calls the same kernels as the model (the graph lists them),
# so a gap between those two rows is per-call overhead or noise. Which wins at each size
# here is in the table; on a busy machine, repeat the measurement before believing a
# small gap.

# %% [markdown]
# **5.** Launch the course's own digit demo, `demos.digits.build_app()`, the same way
# (127.0.0.1, a free port, closed in a `finally`), send the three example photos to its
# `/digits_upload` endpoint, and compare its answers with those of the app you built.

# %% tags=["solution"]
import demos.digits

course_app = demos.digits.build_app()
course_app.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=free_port(),
                                                     prevent_thread_lock=True, share=False, inline=False,
                                                     quiet=True, show_error=True, max_file_size=MAX_UPLOAD)
course_client = None
try:
    course_client = Client(course_app.local_url, verbose=False)
    print("its endpoints:", list(course_client.view_api(print_info=False, return_format="dict")["named_endpoints"]))
    for photo in photos:
        label, _ = course_client.predict(handle_file(str(EXAMPLES / photo)), api_name="/digits_upload")
        ours = answers[photo][0]
        print(f"{photo:<18} course demo {label['label']} ({label['confidences'][0]['confidence']:.1%}), "
              f"our app {ours['label']} ({ours['confidences'][0]['confidence']:.1%})")
finally:
    if course_client is not None:
        course_client.close()
    course_app.close(verbose=False)
print("course demo running after close():", course_app.is_running)
# Both call read_digit on the same checkpoint, so they must agree to the last digit.
# The course's app adds a drawing pad (its /digits endpoint takes a sketch), examples,
# and a check of every upload before Gradio decodes it.

# %% [markdown]
# ## Next
#
# Saving, exporting and serving assume the training itself went right.
# [Lesson 16: When training goes wrong](../16_debugging/) reproduces the common errors and
# the silent failures that spoil a run, and a routine to catch them before a long run.
