from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SHARED


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips (or, in CI, fails) when the evaluation data is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("TALENTQA_CI"):
            pytest.fail(f"{path} is missing in CI; the shared evaluation data must be present")
        pytest.skip(f"{path} not present (the shared evaluation data is only beside the team's checkout)")
    return path
