from tests.fakes import conf, ehpc, fake, sched  # noqa: F401  (fixtures)
