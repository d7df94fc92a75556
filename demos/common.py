"""What every demo shares: command-line options, visitor-facing errors, a guarded launch."""

import argparse
import functools
import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a local demo
import gradio as gr  # noqa: E402

from learntorch.uploads import BadInput  # noqa: E402

MAX_UPLOAD = "10mb"
log = logging.getLogger("demos")


def friendly_errors(predict):
    """Show a :class:`BadInput` as its message, and any other failure as a short apology."""
    @functools.wraps(predict)
    def wrapper(*args, **kwargs):
        try:
            return predict(*args, **kwargs)
        except BadInput as error:
            raise gr.Error(str(error), print_exception=False) from None
        except gr.Error:
            raise
        except Exception as error:  # the server keeps running; the log has the details
            log.exception("prediction failed")
            raise gr.Error(f"Sorry, this input could not be processed ({type(error).__name__}).",
                           print_exception=False) from None
    return wrapper


def parse_args(description: str, port: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: this machine only)")
    return parser.parse_args()


def launch(app: gr.Blocks, args: argparse.Namespace) -> None:
    app.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, max_file_size=MAX_UPLOAD, show_error=True)
