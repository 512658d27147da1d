import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("OMP_NUM_THREADS", "2")
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """The built-in synthetic benchmark at ``tiny`` scale, generated once per test session."""
    from tools.make_synthetic import generate

    return generate(tmp_path_factory.mktemp("synthetic") / "tiny", scale="tiny", seed=0, workers=2, progress=False)
