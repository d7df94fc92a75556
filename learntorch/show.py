"""Show the course library's own code on a lesson page, instead of a second copy."""

import inspect

from IPython.display import Code


def show_source(obj) -> Code:
    """Syntax-highlighted source of a function or class from ``learntorch``."""
    return Code(inspect.getsource(obj), language="python")
