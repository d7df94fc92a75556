"""Random changes to whole batches of images, as tensor operations on the batch's device.

Each function takes a float batch (B, 1, H, W) of bright content on a black background
and an optional ``torch.Generator`` on the batch's device, and draws one random amount
per image. Working on whole batches keeps augmentation cheap on a CPU and lets it run on
the GPU next to the model, with the training images already there.
"""

import torch
import torch.nn.functional as F


def _uniform(n: int, low: float, high: float, generator, device) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator, device=device)


def random_affine(batch: torch.Tensor, generator: torch.Generator | None = None, *,
                  degrees: float = 12.0, scale: tuple[float, float] = (0.9, 1.1),
                  shear: float = 0.25, translate: float = 0.1) -> torch.Tensor:
    """Rotate, scale, shear and shift every image of ``batch`` (B, 1, H, W) by its own random amount."""
    n, device = batch.shape[0], batch.device
    angle = torch.deg2rad(_uniform(n, -degrees, degrees, generator, device))
    zoom = _uniform(n, *scale, generator, device)
    slant = _uniform(n, -shear, shear, generator, device)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # rotation @ shear, divided by the zoom: theta maps each output position to the input
    # position it samples from, so dividing by the zoom makes the content larger when zoom > 1
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0], theta[:, 0, 1] = cos / zoom, (cos * slant - sin) / zoom
    theta[:, 1, 0], theta[:, 1, 1] = sin / zoom, (sin * slant + cos) / zoom
    theta[:, :, 2] = torch.stack([_uniform(n, -translate, translate, generator, device),
                                  _uniform(n, -translate, translate, generator, device)], dim=1)
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_thickness(batch: torch.Tensor, generator: torch.Generator | None = None,
                     strength: tuple[float, float] = (-0.4, 0.8)) -> torch.Tensor:
    """Thicken or thin each image's strokes by a random amount (bright ink on black).

    A 3 x 3 max pool spreads ink to its neighbours (dilation); the same pool applied to
    the negated image shrinks it (erosion). Each image is blended towards one or the
    other: a strength of +1 is a full dilation, -1 a full erosion, 0 leaves it as it is.
    """
    n = batch.shape[0]
    amount = _uniform(n, *strength, generator, batch.device).view(n, 1, 1, 1)
    dilated = F.max_pool2d(batch, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-batch, 3, stride=1, padding=1)
    target = torch.where(amount > 0, dilated, eroded)
    return batch + amount.abs() * (target - batch)


def random_mirror(batch: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Flip a random half of the images left to right (a garment mirrored is still that garment)."""
    flip = torch.rand(batch.shape[0], generator=generator, device=batch.device) < 0.5  # (B,)
    return torch.where(flip.view(-1, 1, 1, 1), batch.flip(-1), batch)
