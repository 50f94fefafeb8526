#!/usr/bin/env bash
# Set everything up, create the default local cluster (examples/cluster.yaml), add a user,
# and run a batch job as that user on the login node; print the job's output.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
SPEC=${1:-examples/cluster.yaml}

created=$(ehpc-iac create-cluster --file "$SPEC")   # exits here, with the reason, if the create fails
cid=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ClusterId"])')
echo "cluster $cid is running"
ehpc-iac describe-cluster --cluster-id "$cid" --output table

# A demo user with a random password (never on a command line: it goes in on stdin).
pw="Demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$pw" | ehpc-iac -q add-users --cluster-id "$cid" --name demo --password-stdin >/dev/null
echo "user 'demo' added (NIS); password stored only as a hash"

computes=$(ehpc-iac list-nodes-no-paging --cluster-id "$cid" --role Compute \
           | python3 -c 'import json,sys; print(json.load(sys.stdin)["TotalCount"])')
echo "submitting a job as demo across $computes compute node(s) (SubmitJob)"
job=$(ehpc-iac submit-job --cluster-id "$cid" --runas-user demo --name hello --node "$computes" \
        --stdout-redirect-path /home/demo/hello.out \
        --command-line 'srun hostname; echo "ran as $(id -un) in $PWD"' \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["JobId"])')
state=""
for _ in $(seq 1 120); do
  state=$(ehpc-iac describe-job --cluster-id "$cid" --job-id "$job" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["Message"]["State"])')
  case "$state" in Finished|Failed|Stopped) break ;; esac
  sleep 1
done
echo "job $job: $state; its output (GetJobLog):"
ehpc-iac get-job-log --cluster-id "$cid" --job-id "$job" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["OutputLog"], end="")'
ehpc-iac list-nodes --cluster-id "$cid" --output table
[ "$state" = Finished ] || { echo "the job did not finish: $state" >&2; exit 1; }
echo
echo "Done. Inspect with: .venv/bin/ehpc-iac describe-cluster --cluster-id $cid"
echo "Remove with:       .venv/bin/ehpc-iac delete-cluster --cluster-id $cid"
