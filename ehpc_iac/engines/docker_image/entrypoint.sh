#!/bin/sh
# ehpc-iac container entrypoint (run under `docker run --init`).
# 1. recreate runtime dirs, drop stale runtime state (as if /run were a tmpfs),
#    restore the cluster /etc/hosts entries
# 2. generate missing SSH host keys, install $EHPC_AUTHORIZED_KEY for root
# 3. start sshd, then every service listed in /etc/ehpc/services (in order)
# 4. wait; on SIGTERM (docker stop) stop the services in reverse order.
set -u
SVC=/usr/local/sbin/ehpc-svc
SERVICES=/etc/ehpc/services
log() { echo "ehpc-entrypoint: $*" >&2; }

# --- 1. runtime state -------------------------------------------------------
rm -f /run/*.pid /run/sshd.pid /run/rpcbind.lock /run/rpcbind.sock \
      /run/munge/* /run/slurm/* /var/run/ypbind.pid /var/yp/binding/* 2>/dev/null
mkdir -p /run/sshd /run/munge /run/slurm /etc/ehpc /var/lib/ehpc /var/log/ehpc \
         /var/log/munge /var/lib/munge /var/log/slurm /var/spool/slurmd \
         /var/spool/slurmctld /home
chmod 0755 /run/sshd
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chown slurm:slurm /run/slurm /var/log/slurm
# state volume (scheduler nodes) is created root-owned by docker
[ "$(stat -c %U /var/spool/slurmctld)" = slurm ] || chown slurm:slurm /var/spool/slurmctld

# Docker regenerates /etc/hosts at start: re-append the cluster entries written by
# Ansible (ehpc_manage_etc_hosts) so host names survive stopped peers.
if [ -s /etc/ehpc/hosts ] && ! grep -qF 'ehpc-iac cluster nodes' /etc/hosts; then
    cat /etc/ehpc/hosts >> /etc/hosts
fi

# --- 2. ssh keys ------------------------------------------------------------
ssh-keygen -A >/dev/null
if [ -n "${EHPC_AUTHORIZED_KEY:-}" ]; then
    mkdir -p /root/.ssh && chmod 0700 /root/.ssh
    touch /root/.ssh/authorized_keys
    grep -qxF "$EHPC_AUTHORIZED_KEY" /root/.ssh/authorized_keys \
        || printf '%s\n' "$EHPC_AUTHORIZED_KEY" >> /root/.ssh/authorized_keys
    chmod 0600 /root/.ssh/authorized_keys
fi

# --- 3. daemons -------------------------------------------------------------
/usr/sbin/sshd || log "sshd failed to start"
if [ -s "$SERVICES" ]; then
    while read -r name; do
        case "$name" in ''|'#'*) continue ;; esac
        out=$("$SVC" start "$name" </dev/null 2>&1) || log "failed to start $name: $out"
    done < "$SERVICES"
fi
log "ready"

# --- 4. wait ----------------------------------------------------------------
shutdown() {
    log "stopping services"
    if [ -s "$SERVICES" ]; then
        # reverse order
        for name in $(sed -n '1!G;h;$p' "$SERVICES"); do
            "$SVC" stop "$name" </dev/null >/dev/null 2>&1
        done
    fi
    exit 0
}
trap shutdown TERM INT
sleep infinity &
wait $!
# `wait` returns early when a trapped signal arrives; the trap exits.
while :; do sleep infinity & wait $!; done
