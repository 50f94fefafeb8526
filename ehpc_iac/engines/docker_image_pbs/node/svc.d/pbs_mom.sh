# ehpc-svc drop-in: the PBS execution daemon (compute nodes)
BIN=/opt/pbs/sbin/pbs_mom
