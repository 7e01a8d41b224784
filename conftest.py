"""Test-session set-up shared by every test (tests/, helpers doctests, notebooks): guard on.

Any connection to or DNS lookup of a non-loopback host, by any test or library, raises
``sandbox.guard.NetworkBlockedError`` naming the host (see ``tests/sandbox/test_guard.py``).
"""

from sandbox import guard

guard.install()
