"""The training loop the course builds up to, and the CLI that trains demo checkpoints.

Lessons 3-5 write the loop by hand; from lesson 6 on they call :func:`fit`, which is the
same loop with the chores done: moving batches to the device (``non_blocking`` so a
pinned batch copies while the GPU works), mixed precision on CUDA, a progress bar,
per-epoch train/validation loss and accuracy, and optional early stopping.

    python -m learntorch.train digits|fashion|next_word|all    # (re)train demo checkpoints
    torchrun --standalone --nproc-per-node 2 -m learntorch.train digits   # the same, in 2 processes
"""

import argparse
import copy
import importlib
import os
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm import tqdm

from learntorch import checkpoints, distributed
from learntorch.device import describe, pick_device
from learntorch.profile import is_smoke


@dataclass
class History:
    """Per-epoch metrics of one :func:`fit` run (lists, one entry per epoch)."""
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 1-based epoch whose weights were kept (early stopping)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def _flatten(logits: torch.Tensor, targets: torch.Tensor):
    # Sequence models give (batch, time, classes) and (batch, time): make them
    # (batch*time, classes) and (batch*time,) so one loss and accuracy serve both.
    if logits.dim() > 2:
        return logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    return logits, targets


def _autocast(device: torch.device, enabled: bool):
    use = enabled and device.type == "cuda"
    dtype = torch.bfloat16 if use and torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype, enabled=use)


def _progress(iterable, description: str):
    # LEARNTORCH_PROGRESS=0 (set when notebooks are rendered) keeps bars out of stored outputs;
    # with several processes only rank 0 shows one.
    hidden = os.environ.get("LEARNTORCH_PROGRESS", "1") == "0" or not distributed.is_main()
    return tqdm(iterable, desc=description, leave=False, disable=hidden)


@torch.no_grad()
def evaluate(model: nn.Module, loader, loss_fn=None, device=None, amp: bool = True):
    """Mean loss and accuracy of ``model`` over ``loader`` (in eval mode, no gradients)."""
    device = device or next(model.parameters()).device
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        with _autocast(device, amp):
            logits, flat_targets = _flatten(model(inputs), targets)
            loss = loss_fn(logits.float(), flat_targets)
        total_loss += loss.item() * flat_targets.numel()
        correct += (logits.argmax(dim=1) == flat_targets).sum().item()
        count += flat_targets.numel()
    return total_loss / count, correct / count


@torch.no_grad()
def predict(model: nn.Module, loader, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes and true targets for every example in ``loader`` (on the CPU)."""
    device = device or next(model.parameters()).device
    model.eval()
    predictions, truths = [], []
    for inputs, targets in loader:
        predictions.append(model(inputs.to(device)).argmax(dim=-1).cpu())
        truths.append(targets)
    return torch.cat(predictions), torch.cat(truths)


def fit(model: nn.Module, train_loader, optimizer: torch.optim.Optimizer, *, epochs: int,
        val_loader=None, loss_fn=None, device=None, scheduler=None, amp: bool = True,
        patience: int | None = None, restore_best: bool = False,
        clip_grad_norm: float | None = None, verbose: bool = True) -> History:
    """Train ``model`` for ``epochs`` epochs and return its :class:`History`.

    ``scheduler`` is stepped once per epoch. ``patience`` stops training after that many
    epochs without a lower validation loss (early stopping); ``restore_best`` puts back
    the weights of the epoch with the lowest validation loss at the end. Both need
    ``val_loader``. ``clip_grad_norm`` rescales gradients whose norm exceeds it.

    Under ``torchrun`` (see ``learntorch.distributed``) every process runs ``fit`` on the
    same loaders: the model is wrapped in ``DistributedDataParallel``, each process trains
    on its own share of the training batches, the logged metrics cover all of them, and only
    rank 0 prints. Alone, none of that happens.
    """
    if (patience is not None or restore_best) and val_loader is None:
        raise ValueError("patience and restore_best judge epochs by validation loss: pass val_loader")
    device = device or pick_device()
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.to(device)
    trainer = distributed.wrap(model, device)  # the model itself when alone
    verbose = verbose and distributed.is_main()
    # float16 needs its small gradients scaled up to survive; bfloat16 does not.
    scaler = torch.amp.GradScaler(enabled=amp and device.type == "cuda"
                                  and not torch.cuda.is_bf16_supported())
    history = History()
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        total_loss, correct, count = 0.0, 0, 0
        for inputs, targets in _progress(distributed.shard(train_loader), f"epoch {epoch}/{epochs}"):
            inputs = inputs.to(device, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            with _autocast(device, amp):
                logits, flat_targets = _flatten(trainer(inputs), targets)
                loss = loss_fn(logits.float(), flat_targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if clip_grad_norm is not None:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            total_loss += loss.item() * flat_targets.numel()
            correct += (logits.argmax(dim=1) == flat_targets).sum().item()
            count += flat_targets.numel()
        if scheduler is not None:
            scheduler.step()
        total_loss, correct, count = distributed.sum_across(total_loss, correct, count)  # all processes
        history.train_loss.append(total_loss / count)
        history.train_acc.append(correct / count)
        line = f"epoch {epoch:>3}/{epochs}  train loss {total_loss / count:.4f} acc {correct / count:.4f}"
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, loss_fn, device, amp)
            # The same on every process but for rounding; averaged, every process takes the
            # same early-stopping decision (one that stopped alone would leave the others waiting).
            val_loss, val_acc = distributed.mean_across(val_loss, val_acc)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            line += f" | val loss {val_loss:.4f} acc {val_acc:.4f}"
        history.seconds.append(time.perf_counter() - start)
        if verbose:
            print(f"{line} | {history.seconds[-1]:.1f} s")
        if val_loader is None:
            continue
        if history.val_loss[-1] < best_loss:
            best_loss, waited, history.best_epoch = history.val_loss[-1], 0, epoch
            if restore_best:
                best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if patience is not None and waited >= patience:
                if verbose:
                    print(f"early stop: no better validation loss for {patience} epochs")
                break
    if restore_best:
        model.load_state_dict(best_state)
        if verbose:
            print(f"kept the weights of epoch {history.best_epoch} (lowest validation loss)")
    return history


# Each demo checkpoint has one training function, shared with its lesson.
RECIPES = {
    "digits": "learntorch.digits.recipe:train_checkpoint",
    "fashion": "learntorch.fashion.recipe:train_checkpoint",
    "next_word": "learntorch.next_word.recipe:train_checkpoint",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Train demo checkpoints into checkpoints/<name>/, on a CUDA GPU when there is "
                    "one (each recipe then uses what a GPU allows; see its train_checkpoint). In "
                    "the smoke profile a quick run goes to a temporary folder instead. Under "
                    "`torchrun --nproc-per-node N -m learntorch.train NAME` the N processes train "
                    "together (DistributedDataParallel: gloo on CPUs, NCCL on GPUs) and rank 0 "
                    "alone prints and saves.")
    parser.add_argument("names", nargs="+", choices=[*RECIPES, "all"],
                        help="the checkpoints to train, or all of them")
    args = parser.parse_args(argv)
    names = list(RECIPES) if "all" in args.names else args.names
    world = distributed.setup()  # alone (no torchrun): a world of one, nothing set up
    try:
        with distributed.quiet_unless_main():
            if distributed.launched_by_torchrun():
                print(f"distributed: world size {world.size}, backend {world.backend}", flush=True)
            for name in names:
                print(f"== {name} on {describe(pick_device())}", flush=True)
                module_name, function_name = RECIPES[name].split(":")
                train_checkpoint = getattr(importlib.import_module(module_name), function_name)
                folder = checkpoints.run_folder(name) if is_smoke() else checkpoints.CHECKPOINTS_DIR / name
                card = train_checkpoint(folder)
                print({key: card[key] for key in ("test_metrics", "device", "wall_time_s") if key in card},
                      flush=True)
                print(f"saved in {folder}", flush=True)
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    main()
