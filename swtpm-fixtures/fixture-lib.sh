# shellcheck shell=bash
# fixture-lib.sh - helpers shared by the swtpm-fixtures scripts (sourced, not
# run). Nothing here starts or stops anything; it only names things, checks
# tools and reads a fixture's files.
#
# Conventions: everything a script reports goes to stderr with the script's
# name as prefix; stdout is reserved for the one value a script returns
# (swtpm-up.sh prints the TCTI string).

fx_name=${0##*/}

fx_log() { printf '%s: %s\n' "$fx_name" "$*" >&2; }

# One line on stderr, exit 1.
fx_die() {
	printf '%s: error: %s\n' "$fx_name" "$*" >&2
	exit 1
}

# fx_need TOOL PACKAGE: fail with the Debian package that provides TOOL.
fx_need() {
	command -v "$1" >/dev/null 2>&1 ||
		fx_die "$1 not found: apt-get install -y $2"
}

# Milliseconds since the epoch (GNU date), for the timings we log.
fx_ms() { date +%s%3N; }

# fx_abspath DIR: absolute, symlink-free path of an existing directory.
fx_abspath() { (cd -- "$1" && pwd -P); }

# fx_running PID: is PID a live process? A zombie is not: its parent may be
# slow to reap it (a daemonised swtpm's parent is pid 1, and the pid 1 of
# some sandboxes reaps only now and then), and kill -0 succeeds on zombies.
fx_running() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# fx_pid_alive STATEDIR: print the pid of the swtpm serving STATEDIR and
# succeed if it is running. The pid file alone is not trusted (pids get
# reused): the process must be a swtpm whose command line names STATEDIR.
fx_pid_alive() {
	local state=$1 pid cmd
	[ -r "$state/swtpm.pid" ] || return 1
	pid=$(tr -dc '0-9' <"$state/swtpm.pid")
	[ -n "$pid" ] && fx_running "$pid" || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	case $cmd in
	*swtpm*"dir=$state "*) printf '%s\n' "$pid" ;;
	*) return 1 ;;
	esac
}

# fx_env_get STATEDIR VAR: the value of VAR in STATEDIR/env, read without
# sourcing the file (it is ours, but this keeps callers' shells clean).
fx_env_get() {
	sed -n "s/^$2='\\{0,1\\}\\([^']*\\)'\\{0,1\\}\$/\\1/p" "$1/env" 2>/dev/null | tail -n 1
}

# fx_port_open PORT: does something accept TCP connections on 127.0.0.1:PORT?
# Bounded by timeout(1): a connect to a filtered port cannot hang us.
fx_port_open() {
	# shellcheck disable=SC2016 # $1 is expanded by the inner bash
	timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# fx_wait_gone PID TENTHS: wait up to TENTHS/10 s for PID to exit.
fx_wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		fx_running "$1" || return 0
		sleep 0.1
	done
	! fx_running "$1"
}

# fx_stop STATEDIR: stop the swtpm serving STATEDIR, if any. First the
# polite way (CMD_SHUTDOWN over the control port, which also makes swtpm save
# volatile state), then SIGTERM, then SIGKILL; ~2 s per step at most.
fx_stop() {
	local state=$1 pid ctrl
	pid=$(fx_pid_alive "$state") || return 0
	ctrl=$(fx_env_get "$state" SWTPM_CTRL_PORT)
	if [ -n "$ctrl" ]; then
		timeout 3 swtpm_ioctl --tcp "127.0.0.1:$ctrl" -s >/dev/null 2>&1 || true
		fx_wait_gone "$pid" 20 && return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	fx_wait_gone "$pid" 20 && return 0
	fx_log "swtpm $pid ignored SIGTERM; sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	fx_wait_gone "$pid" 20
}
