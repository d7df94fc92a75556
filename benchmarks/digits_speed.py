"""How fast the lesson-9 digit CNN learns MNIST: seconds of training from the first step
to 99% accuracy on the 10 000 test digits.

    python benchmarks/digits_speed.py [--batch-size 512] [--max-lr 0.01] [--check-every 10]

Made for a CUDA GPU (on a CPU it runs too, slowly). Everything that is not training stays
off the clock: the data set is put on the device once beforehand, the GPU's kernels are
warmed up on a throwaway model, and every ``--check-every`` steps the clock stops (after
``torch.cuda.synchronize()``, so that no queued GPU work is missed or counted twice) while
the test set is scored. The model is ``learntorch.digits.model.DigitCNN()`` with its defaults,
the optimizer AdamW with a one-cycle learning rate planned over ``--epochs`` epochs, the
data the full MNIST training set without augmentation, in bfloat16 autocast on CUDA.
"""

import argparse
import time

import torch
import torch.nn.functional as F

import common  # noqa: F401  (puts the checkout on sys.path)
from learntorch.data import image_tensors
from learntorch.device import describe, pick_device
from learntorch.digits.model import DigitCNN, normalise_digits

TARGET = 0.99


def on_device(name: str, train: bool, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = image_tensors(name, train=train)
    inputs = normalise_digits(images.unsqueeze(1).float() / 255)  # (N, 1, 28, 28)
    return inputs.to(device).contiguous(memory_format=torch.channels_last), labels.to(device)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()  # GPU work is queued: wait for it before reading the clock


@torch.no_grad()
def test_accuracy(model, inputs, labels, autocast) -> float:
    model.eval()
    with autocast():
        correct = sum((model(chunk).argmax(1) == target).sum() for chunk, target in
                      zip(inputs.split(2500), labels.split(2500)))
    model.train()
    return correct.item() / len(labels)


def run(args, device: torch.device, train, test, timed: bool = True) -> dict:
    """Train from scratch until the test accuracy reaches the target (or the planned steps end)."""
    inputs, labels = train
    torch.manual_seed(args.seed)
    model = DigitCNN().to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.max_lr, weight_decay=1e-4,
                                  fused=device.type == "cuda")
    steps_per_epoch = len(labels) // args.batch_size
    total_steps = int(args.epochs * steps_per_epoch) if timed else args.warmup_steps
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.max_lr, total_steps=total_steps,
                                                    pct_start=args.warmup_fraction)
    use_bf16 = device.type == "cuda"

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)

    generator = torch.Generator(device=device).manual_seed(args.seed)
    seconds, step, accuracy = 0.0, 0, 0.0
    synchronize(device)
    started = time.perf_counter()
    while step < total_steps:
        order = torch.randperm(len(labels), generator=generator, device=device)
        for batch in order[:steps_per_epoch * args.batch_size].view(steps_per_epoch, args.batch_size):
            with autocast():
                loss = F.cross_entropy(model(inputs[batch]), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if timed and (step % args.check_every == 0 or step == total_steps):
                synchronize(device)
                seconds += time.perf_counter() - started
                accuracy = test_accuracy(model, *test, autocast)
                if accuracy >= TARGET:
                    return {"seconds": seconds, "steps": step, "epochs": step / steps_per_epoch,
                            "accuracy": accuracy}
                synchronize(device)
                started = time.perf_counter()
            if step == total_steps:
                break
    synchronize(device)
    return {"seconds": seconds, "steps": step, "epochs": step / steps_per_epoch, "accuracy": accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--max-lr", type=float, default=0.01)
    parser.add_argument("--epochs", type=float, default=2, help="length of the planned one-cycle schedule")
    parser.add_argument("--warmup-fraction", type=float, default=0.25)
    parser.add_argument("--check-every", type=int, default=10, help="steps between test-set checks")
    parser.add_argument("--warmup-steps", type=int, default=30, help="untimed steps on a throwaway model")
    parser.add_argument("--runs", type=int, default=5, help="timed runs, each with its own seed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = pick_device()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    train, test = on_device("MNIST", True, device), on_device("MNIST", False, device)
    print(f"{describe(device)}, torch {torch.__version__}"
          + (f", CUDA {torch.version.cuda}" if device.type == "cuda" else ""))
    print(f"DigitCNN() ({sum(p.numel() for p in DigitCNN().parameters()):,} parameters), batch "
          f"{args.batch_size}, AdamW one-cycle max lr {args.max_lr:g} over {args.epochs:g} epochs, "
          f"test checked every {args.check_every} steps")
    run(args, device, train, test, timed=False)  # warm-up: kernels chosen and loaded
    results = []
    for seed in range(args.seed, args.seed + args.runs):
        args.seed = seed
        result = run(args, device, train, test)
        results.append(result)
        reached = "reached" if result["accuracy"] >= TARGET else "did NOT reach"
        print(f"seed {seed}: {reached} {TARGET:.0%} test accuracy ({result['accuracy']:.4f}) after "
              f"{result['steps']} steps ({result['epochs']:.2f} epochs): {result['seconds']:.3f} s of training")
    times = sorted(r["seconds"] for r in results if r["accuracy"] >= TARGET)
    if times:
        print(f"time to {TARGET:.0%}: median {times[len(times) // 2]:.3f} s, best {times[0]:.3f} s, "
              f"{len(times)} of {len(results)} runs reached it")


if __name__ == "__main__":
    main()
