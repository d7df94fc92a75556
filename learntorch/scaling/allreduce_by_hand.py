"""Data parallelism by hand: every process takes its share of one batch, computes the gradient
on it, and an all-reduce turns those into the gradient of the whole batch (lesson 14).

    torchrun --standalone --nproc-per-node 2 -m learntorch.scaling.allreduce_by_hand
"""

import torch
import torch.distributed as dist
import torch.nn.functional as F

from learntorch.digits.model import normalise_digits
from learntorch.mlp import make_mlp
from learntorch.splits import image_splits

BATCH = 64


def main() -> None:
    # torchrun's environment variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) say who
    # this process is and where the others are; gloo carries tensors between CPU processes.
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()

    # The same numbers everywhere: the same seed gives every process the same weights.
    torch.manual_seed(0)
    model = make_mlp([64])  # 784 -> 64 -> 10
    (images, labels), _, _ = image_splits("MNIST")
    inputs = normalise_digits(images[:BATCH].unsqueeze(1).float() / 255)  # (64, 1, 28, 28)
    targets = labels[:BATCH]

    # 1. Each process: the gradient of the loss on its own share of the batch.
    mine = slice(rank * BATCH // world, (rank + 1) * BATCH // world)
    loss = F.cross_entropy(model(inputs[mine]), targets[mine])
    loss.backward()
    own = model[1].bias.grad.clone()  # one layer's gradient, kept to show what changed

    # 2. All-reduce: afterwards every process holds the sum of all processes' gradients;
    #    dividing by their number gives the mean, the gradient of the whole batch's loss.
    for parameter in model.parameters():
        dist.all_reduce(parameter.grad, op=dist.ReduceOp.SUM)
        parameter.grad /= world

    # 3. Check against one process that computes the whole batch's gradient itself.
    torch.manual_seed(0)
    reference = make_mlp([64])
    F.cross_entropy(reference(inputs), targets).backward()
    difference = max((p.grad - r.grad).abs().max().item()
                     for p, r in zip(model.parameters(), reference.parameters()))

    def first(gradient):  # the first three numbers of a gradient, for printing
        return " ".join(f"{value:+.5f}" for value in gradient[:3].tolist())

    line = (f"rank {rank} of {world}: images {mine.start}-{mine.stop - 1}, loss {loss.item():.4f}\n"
            f"  first layer's bias gradient, own share: {first(own)}\n"
            f"  after the all-reduce:                   {first(model[1].bias.grad)}\n"
            f"  largest difference from the whole batch's gradient, any weight: {difference:.1e}")
    # Gather every process's line in rank 0, which prints them in order (the processes'
    # own prints would interleave at random).
    lines = [None] * world
    dist.gather_object(line, lines if rank == 0 else None, dst=0)
    if rank == 0:
        print("\n".join(lines))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
