# ehpc-svc drop-in: the PBS server (manager). /opt/pbs/sbin/pbs_server is a wrapper that execs
# pbs_server.bin, which starts its PostgreSQL data service itself; stopping the server leaves the
# data service running, so it is stopped after the server.
BIN=/opt/pbs/sbin/pbs_server
COMM=pbs_server.bin
svc_prepare() {
    # a postmaster.pid left by `docker stop` names a process of the previous container
    if ! pgrep -u postgres -x postgres >/dev/null 2>&1; then
        rm -f /var/spool/pbs/datastore/postmaster.pid
    fi
}
svc_poststop() {
    /opt/pbs/sbin/pbs_dataservice stop >/dev/null 2>&1 || true
}
