#!/usr/bin/env bash
# Set everything up, create the default local cluster (examples/cluster.yaml), add a user,
# and run a batch job as that user on the login node; print the job's output.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
SPEC=${1:-examples/cluster.yaml}

cid=$(ehpc-iac create-cluster --file "$SPEC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ClusterId"])')
echo "cluster $cid is running"
ehpc-iac describe-cluster --cluster-id "$cid" --output table

# A demo user with a random password (never on a command line: it goes in on stdin).
pw="Demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$pw" | ehpc-iac -q add-users --cluster-id "$cid" --name demo --password-stdin >/dev/null
echo "user 'demo' added (NIS); password stored only as a hash"

login=$(docker ps --filter "label=ehpc.cluster-id=$cid" --filter "label=ehpc.roles" \
          --format '{{.Names}} {{.Label "ehpc.roles"}}' | awk '$2 ~ /Login/ {print $1; exit}')
computes=$(docker ps --filter "label=ehpc.cluster-id=$cid" --format '{{.Label "ehpc.roles"}}' | grep -c Compute)
echo "submitting a job as demo on $login across $computes compute node(s)"
docker exec "$login" su - demo -c \
  "sbatch --wait -N $computes -o /home/demo/hello-%j.out --wrap 'srun hostname; id -un; pwd'" 
docker exec "$login" sh -c 'cat /home/demo/hello-*.out'
sinfo_out=$(docker exec "$login" sinfo)
echo "$sinfo_out"
echo
echo "Done. Inspect with: .venv/bin/ehpc-iac describe-cluster --cluster-id $cid"
echo "Remove with:       .venv/bin/ehpc-iac delete-cluster --cluster-id $cid"
