#!/usr/bin/env bash
# A one-node Slurm cluster on this machine (slurmctld + slurmd on localhost, munge authentication), for trying
# `resfim sweep slurm` and for ResFIM's Slurm test (RESFIM_SLURM=1). Needs root and Debian's slurm-wlm and munge:
#   apt-get install -y slurm-wlm munge
# Writes /etc/slurm/slurm.conf (an existing one is kept as slurm.conf.resfim-backup), starts munged, slurmctld
# and slurmd, and waits until the node is idle. Stop it with: deploy/slurm-single-node.sh stop
set -euo pipefail
conf=/etc/slurm/slurm.conf
if [[ "${1:-start}" == stop ]]; then
  for d in slurmd slurmctld; do
    [[ -f /run/resfim-$d.pid ]] && kill "$(cat /run/resfim-$d.pid)" 2>/dev/null || true
    rm -f /run/resfim-$d.pid
  done
  exit 0
fi
for c in munged slurmctld slurmd sinfo; do
  command -v "$c" >/dev/null || { echo "slurm-single-node: $c not found (apt-get install -y slurm-wlm munge)" >&2; exit 1; }
done
node="$(hostname -s)"
cpus="$(nproc)"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge /etc/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  if id munge >/dev/null 2>&1; then
    su -s /bin/sh munge -c munged 2>/dev/null || munged --force
  else
    munged --force
  fi
fi
if [[ -f "$conf" && ! -f "$conf.resfim-backup" ]] && ! grep -q "written by ResFIM" "$conf"; then
  cp "$conf" "$conf.resfim-backup"
fi
cat > "$conf" <<CONF
# written by ResFIM's deploy/slurm-single-node.sh: one node, this machine, localhost only
ClusterName=resfim
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/resfim-slurmctld.pid
SlurmdPidFile=/run/resfim-slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 60); do
  state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)"
  if [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]]; then
    echo "slurm-single-node: node $node $state ($cpus CPUs), partition debug"
    exit 0
  fi
  sleep 1
done
echo "slurm-single-node: the node did not become idle (state '${state:-none}'); see /var/log/slurm/slurmctld.log and slurmd.log:" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
