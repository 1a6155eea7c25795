#!/bin/sh
# init.sh - the guest's /init (busybox ash, pid 1 until it execs busybox
# init): mounts proc, sys, devtmpfs, securityfs (the TPM event log and IMA
# lists live there) and configfs (configfs-tsm), loads the modules listed in
# /etc/modules.order, brings the first ethernet interface up with udhcpc
# (qemu user-mode network: 10.0.2.15, host 10.0.2.2; static fallback), waits
# briefly for /dev/tpmrm0, then hands over to busybox init, whose
# /etc/inittab respawns the agent (agent-run.sh) and a shell on ttyS1
# (shell-ttyS1.sh). Every line goes to the console (ttyS0 with
# console=ttyS0), prefixed "ephemera-init:" and the seconds since boot.
#
# Kernel command line knobs (all optional):
#   ephemera.restart_delay=S  seconds between agent restarts (default 5)
#   ephemera.shell=0          no shell on ttyS1
#   ephemera.hostname=NAME    hostname (default ephemera-guest)
#   ephemera.verbose=1        run the agent with --verbose
#
# Not here: the per-VM configuration (/etc/ephemera/agent.conf and
# broker.pem come from the second cpio archive appended to the initrd), and
# any root filesystem switch: the guest runs from the initramfs.
export PATH=/usr/sbin:/usr/bin
export TPM2TOOLS_TCTI=device:/dev/tpmrm0

up() { read -r t _ </proc/uptime 2>/dev/null && echo "$t" || echo "?"; }
log() { echo "ephemera-init: [$(up)] $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || log "devtmpfs: already mounted"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null || log "securityfs: not mounted"
mount -t configfs configfs /sys/kernel/config 2>/dev/null || true
# The console may not be ttyS0's yet when the kernel has no console=.
exec </dev/console >/dev/console 2>&1
log "init starting (kernel $(uname -r))"

# Options from the kernel command line, for agent-run.sh and inittab.
delay=5 shell=1 host=ephemera-guest verbose=0
for w in $(cat /proc/cmdline); do
	case $w in
	ephemera.restart_delay=*) delay=${w#*=} ;;
	ephemera.shell=*) shell=${w#*=} ;;
	ephemera.hostname=*) host=${w#*=} ;;
	ephemera.verbose=*) verbose=${w#*=} ;;
	esac
done
case $delay in '' | *[!0-9]*) delay=5 ;; esac
printf 'EPH_RESTART_DELAY=%s\nEPH_VERBOSE=%s\n' "$delay" "$verbose" >/run/ephemera.env
hostname "$host"

# Modules, dependencies first (build-guest.sh wrote the order).
if [ -r /etc/modules.order ]; then
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "$m" 2>/dev/null || log "insmod $m failed"
	done </etc/modules.order
fi

# Network: the first interface that is not lo.
ip link set lo up
ifc=""
i=0
while [ $i -lt 30 ] && [ -z "$ifc" ]; do
	for d in /sys/class/net/*; do
		n=${d##*/}
		[ "$n" = lo ] && continue
		ifc=$n
		break
	done
	[ -n "$ifc" ] || { sleep 0.1; i=$((i + 1)); }
done
if [ -z "$ifc" ]; then
	log "no network interface (the agent cannot reach the broker)"
else
	ip link set "$ifc" up
	if ! udhcpc -i "$ifc" -s /usr/share/udhcpc/default.script -q -n -t 5 -T 1 -f >/dev/null 2>&1; then
		# qemu's user-mode network answers DHCP; this is for when it did not.
		ip addr add 10.0.2.15/24 dev "$ifc"
		ip route replace default via 10.0.2.2 dev "$ifc"
		log "$ifc: no DHCP answer; static 10.0.2.15/24 via 10.0.2.2"
	fi
fi

# The TPM: tpm_crb/tpm_tis are built into Debian's kernel and probe early,
# but give them a moment under TCG.
i=0
while [ ! -e /dev/tpmrm0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -e /dev/tpmrm0 ]; then
	log "TPM: /dev/tpmrm0 ($(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null || echo ?)), event log $(
		[ -r /sys/kernel/security/tpm0/binary_bios_measurements ] && echo present || echo absent)"
else
	log "TPM: no /dev/tpmrm0 (the agent will exit 3 and be restarted)"
fi

[ "$shell" = 0 ] && sed -i '/shell-ttyS1/d' /etc/inittab
log "handing over to busybox init (agent restart delay ${delay}s, shell on ttyS1: $([ "$shell" = 0 ] && echo no || echo yes))"
exec /usr/bin/init
