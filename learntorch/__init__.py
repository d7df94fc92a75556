"""LearnTorch: the library behind the course's lessons and demos."""

from learntorch.device import describe, pick_device, seed_everything
from learntorch.profile import is_smoke, pick

__all__ = ["describe", "pick_device", "seed_everything", "is_smoke", "pick"]
__version__ = "0.1.0"
