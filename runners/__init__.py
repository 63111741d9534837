"""The cgym command line, episode runner, recorder, scorer and benchmarks."""

import bodies  # noqa: F401,E402  (first: sets the offscreen GL default before anything imports mujoco)
