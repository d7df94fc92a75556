"""The two profiles every lesson runs in.

``LEARNTORCH_PROFILE=smoke`` cuts data, epochs and trials so a lesson finishes in
seconds on a small CPU (the tests use it). ``full`` (the default) is the real run
whose outputs the site shows and which trains the demo checkpoints.
"""

import os

PROFILES = ("smoke", "full")


def current() -> str:
    """The active profile's name, read from ``LEARNTORCH_PROFILE``."""
    name = os.environ.get("LEARNTORCH_PROFILE", "full").strip().lower()
    if name not in PROFILES:
        raise ValueError(f"LEARNTORCH_PROFILE={name!r}: choose one of {', '.join(PROFILES)}")
    return name


def is_smoke() -> bool:
    return current() == "smoke"


def pick(*, smoke, full):
    """Return ``smoke`` in the smoke profile and ``full`` otherwise."""
    return smoke if is_smoke() else full
