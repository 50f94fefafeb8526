"""Fakes for tests of the operations layer and the CLI: an in-memory engine, a recording configurator."""
import pytest

from ehpc_iac.configure import ConfigureResult
from ehpc_iac.engines.fake import FakeEngine
from ehpc_iac.errors import ConfigureError
from ehpc_iac.ops import Ehpc


class FakeConfigurator:
    def __init__(self):
        self.calls = []
        self.fail = None

    def configure(self, plan, nodes, access, **kw):
        self.calls.append({"plan": plan, "nodes": nodes, "access": access, **kw})
        if self.fail:
            raise ConfigureError(self.fail)
        return ConfigureResult(ok=True, changed={h: 0 for h in nodes})


@pytest.fixture
def fake():
    return FakeEngine()


@pytest.fixture
def conf():
    return FakeConfigurator()


@pytest.fixture
def ehpc(tmp_path, fake, conf):
    return Ehpc(tmp_path / "home", engine_factory=lambda name: fake, configurator=conf)
