from tests.fakes import conf, ehpc, fake, sched, slurm  # noqa: F401  (fixtures)
