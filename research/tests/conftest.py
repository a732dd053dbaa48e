import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Small model settings so that one training run of the model pipeline takes about a second.
FAST_TRAIN_ARGS = ["--hidden", "16", "--bottleneck", "8", "--epochs", "20", "--trees", "30", "--min-leaf", "20"]


@pytest.fixture
def fast_train_args() -> list[str]:
    return list(FAST_TRAIN_ARGS)
