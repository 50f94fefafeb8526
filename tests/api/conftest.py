"""Fixtures of the HTTP endpoint tests: the server on loopback over a fake-engine facade
(tests/fakes.py), with one access key. The e2e tests (tests/e2e/test_api_*.py) use real Docker."""
import pytest

from ehpc_iac.api import ApiContext
from ehpc_iac.api.server import BackgroundServer
from tests.fakes import conf, ehpc, fake, sched, slurm  # noqa: F401  (fixtures)


@pytest.fixture
def api_ctx(ehpc):
    return ApiContext.for_home(ehpc=ehpc)


@pytest.fixture
def api_key(api_ctx):
    """{"AccessKeyId", "AccessKeySecret", ...} of an enabled key."""
    return api_ctx.keys.create("tests")


@pytest.fixture
def server(api_ctx, api_key):
    with BackgroundServer(api_ctx) as srv:
        yield srv
