# ehpc-svc drop-in: the PBS communication daemon (manager)
BIN=/opt/pbs/sbin/pbs_comm
