"""Demo data made through the real services with the clock moved back (build.py)."""

from .build import DEMO_PASSWORD, load_demo  # noqa: F401
