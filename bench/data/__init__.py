"""Data-layer benchmark (issue 3, "Performance"): ``python -m bench.data``; see README.md."""

from __future__ import annotations

from bench.data.generate import Sizes
from bench.data.run import run

__all__ = ["Sizes", "run"]
