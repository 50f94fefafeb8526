# ehpc-svc drop-in: the PBS scheduler (manager)
BIN=/opt/pbs/sbin/pbs_sched
