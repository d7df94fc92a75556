"""Tooling the course runs on but does not teach: the notebook executor, the site's hooks and
server, and the helpers the tests and benchmarks share (demo servers as child processes, a
browser visit of the site and the demos)."""
