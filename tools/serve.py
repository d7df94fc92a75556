"""``make serve``: build the site, then serve it and the demos on this machine.

The site is static (its notebooks were executed beforehand), so a plain HTTP server is
enough; the demos run as their own Gradio app. Ctrl-C stops both.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

from learntorch.paths import ROOT


def _stop(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    # Ctrl-C (SIGINT) or a plain `kill` (SIGTERM) stops both servers, even when this process
    # was started with SIGINT ignored, as background jobs of a script are.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    parser.add_argument("--site-port", type=int, default=8000)
    parser.add_argument("--demo-port", type=int, default=7860)
    args = parser.parse_args()

    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"], cwd=ROOT, check=True)
    servers = [
        subprocess.Popen([sys.executable, "-m", "http.server", str(args.site_port), "--bind", args.host,
                          "--directory", str(ROOT / "site")], cwd=ROOT, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "demos", "--host", args.host, "--port", str(args.demo_port)],
                         cwd=ROOT, env=dict(os.environ, LEARNTORCH_SITE_URL=f"http://{args.host}:{args.site_port}/")),
    ]
    print(f"\n  Course site: http://{args.host}:{args.site_port}/\n"
          f"  Demos:       http://{args.host}:{args.demo_port}/  (ready after a few seconds)\n"
          f"  Ctrl-C stops both.\n", flush=True)
    try:
        while all(server.poll() is None for server in servers):
            time.sleep(0.5)
        dead = next(server for server in servers if server.poll() is not None)
        print(f"{' '.join(dead.args[1:3])} exited with code {dead.returncode}; stopping.", file=sys.stderr)
    except KeyboardInterrupt:
        dead = None
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    if dead is not None:
        sys.exit(1)


if __name__ == "__main__":
    main()
