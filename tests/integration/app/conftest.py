from __future__ import annotations

import pytest

from tests.integration.app.helpers import Fund


@pytest.fixture
def fund() -> Fund:
    return Fund.build()
