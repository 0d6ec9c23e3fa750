from tests.integration.http.conftest import world

__all__ = ["world"]
