"""DistributedDataParallel under torchrun: an MLP learns MNIST digits in every process at once,
each process on its own share of the examples (lesson 14). Run alone, it is ordinary training.

    torchrun --standalone --nproc-per-node 2 -m learntorch.scaling.ddp_digits --batch-size 32 --out runs/ddp
    python -m learntorch.scaling.ddp_digits --batch-size 64 --out runs/alone   # one process, batch doubled
"""

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from learntorch import checkpoints, distributed
from learntorch.digits.model import normalise_digits
from learntorch.mlp import make_mlp
from learntorch.splits import image_splits


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32, help="examples per process per step")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, required=True, help="folder for the checkpoint and the record")
    args = parser.parse_args(argv)

    # Join the processes that torchrun started (gloo on CPUs, NCCL on GPUs); alone, a world of one.
    world = distributed.setup()
    device = torch.device("cuda", world.local_rank) if torch.cuda.is_available() else torch.device("cpu")

    (images, labels), _, _ = image_splits("MNIST")
    inputs = normalise_digits(images[:args.train_size].unsqueeze(1).float() / 255)  # (N, 1, 28, 28)
    dataset = TensorDataset(inputs, labels[:args.train_size])
    # Every process shuffles the same way (same seed) and keeps every world.size-th example
    # from its rank on: together they see each example once per epoch.
    sampler = DistributedSampler(dataset, num_replicas=world.size, rank=world.rank, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)

    torch.manual_seed(0)
    model = make_mlp([128]).to(device)  # 784 -> 128 -> 10: no dropout, no batch norm
    if world.size > 1:
        # Copies rank 0's weights to every process, then averages the gradients during backward().
        model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)

    record = {"world_size": world.size, "batch_per_process": args.batch_size, "epoch_loss": []}
    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new order each epoch (without it, every epoch repeats the first)
        total, count = 0.0, 0
        for batch_inputs, batch_targets in loader:
            batch_inputs, batch_targets = batch_inputs.to(device), batch_targets.to(device)
            loss = F.cross_entropy(model(batch_inputs), batch_targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # with DDP: all-reduce of the gradients, overlapped with backward
            optimizer.step()
            total += loss.item() * len(batch_targets)
            count += len(batch_targets)
        total, count = distributed.sum_across(total, count)  # over every process's examples
        record["epoch_loss"].append(total / count)
        if world.is_main:  # log once, not once per process
            print(f"epoch {epoch + 1}: loss {total / count:.4f} over {count:.0f} examples", flush=True)
    record["seconds"] = time.perf_counter() - start

    if world.is_main:  # every process holds the same weights: one of them saves them
        trained = model.module if world.size > 1 else model  # the model inside DDP's wrapper
        checkpoints.save(trained.cpu(), args.out, {"name": "ddp-digits", "record": record})
        (args.out / "record.json").write_text(json.dumps(record, indent=2))
    distributed.cleanup()
    return record


if __name__ == "__main__":
    main()
