"""Test-session setup shared by every test folder."""

import bodies  # noqa: F401  (first: sets the offscreen GL default before anything imports mujoco)
