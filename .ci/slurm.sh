#!/usr/bin/env bash
# The SLURM sweep tests start a real single-node cluster (tests/sweeps/conftest.py): they need
# Debian's slurm-wlm (slurmctld, slurmd, sbatch...) and munge. Installed when missing; the tests
# skip, saying why, on a machine without them.
set -euo pipefail
missing=0
for binary in slurmctld slurmd sbatch squeue scontrol scancel sinfo munged mungekey; do
    command -v "$binary" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "slurm: no apt-get; install slurm-wlm and munge yourself (the SLURM tests skip without them)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# The packages' scripts must not start system daemons (the tests start their own, privately):
# Docker images forbid it with policy-rc.d; elsewhere one is put in place for the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
install() {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge
}
# The package lists are refreshed only when the packages cannot be found in them.
if ! apt-cache show slurm-wlm munge >/dev/null 2>&1; then
    $SUDO apt-get update -qq
fi
install || { $SUDO apt-get update -qq && install; }
