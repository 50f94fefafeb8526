from tests.fakes import conf, ehpc, fake  # noqa: F401  (fixtures)
