#!/bin/sh
# agent-run.sh - one run of ephemera-agent in the guest (busybox init
# respawns this script): runs the agent with /etc/ephemera/agent.conf,
# logs how it ended (the agent's documented exit codes, agent/daemon/agentd.h)
# and sleeps before returning, so restarts are spaced.
#
# Not here: deciding the machine's fate after a refusal (exit 5): the broker's
# lifecycle manager does that; the guest only keeps trying.
export PATH=/usr/sbin:/usr/bin
conf=/etc/ephemera/agent.conf
EPH_RESTART_DELAY=5 EPH_VERBOSE=0
[ -r /run/ephemera.env ] && . /run/ephemera.env

up() { read -r t _ </proc/uptime 2>/dev/null && echo "$t" || echo "?"; }
log() { echo "ephemera-init: [$(up)] $*"; }

if [ ! -r "$conf" ]; then
	log "no $conf: append the per-VM configuration archive to the initrd (packaging/guest/mkconfig-cpio.sh); waiting"
	sleep 30
	exit 0
fi
set -- --config "$conf"
[ "$EPH_VERBOSE" = 1 ] && set -- "$@" --verbose
log "starting ephemera-agent $*"
ephemera-agent "$@"
rc=$?
delay=$EPH_RESTART_DELAY
case $rc in
0) why="stopped" ;;
1) why="bad command line" delay=$((delay * 6)) ;;
2) why="bad configuration" delay=$((delay * 6)) ;;
3) why="no TPM" ;;
4) why="broker not reached or not authenticated in time" ;;
5) why="refused by the broker" delay=$((delay * 6)) ;;
6) why="internal error" ;;
*) why="killed or unknown" ;;
esac
log "ephemera-agent exited with status $rc ($why); restarting in ${delay}s"
sleep "$delay"
exit 0
