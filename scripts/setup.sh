#!/usr/bin/env bash
# Install what ehpc-iac needs on a Debian 12 machine and make sure the Docker engine runs.
#   Debian packages: docker.io, debootstrap, python3-venv, tar, openssh-client
#   a virtual environment in .venv with ehpc-iac and its test tools (editable)
# Safe to run again: it only installs or starts what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v ssh >/dev/null 2>&1 || need_pkgs+=(openssh-client)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" ca-certificates
fi

if ! docker info >/dev/null 2>&1; then
  log "starting the Docker engine"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl start docker
  else
    $SUDO sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start: see /var/log/dockerd.log"; exit 1; }
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import ehpc_iac, pytest, ansible_runner' >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.installed ]; then
  log "installing ehpc-iac into .venv"
  if ! { .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e '.[test]'; } >.venv/pip.log 2>&1; then
    cat .venv/pip.log >&2
    log "pip install failed (log above, also in .venv/pip.log)"
    exit 1
  fi
  touch .venv/.installed
fi
log "ready: $(docker version --format 'docker {{.Server.Version}}' 2>/dev/null), $(.venv/bin/ehpc-iac --version)"
