/*
 * procstat.c - a VM's usage as the host sees its qemu process: CPU time
 * (utime + stime, fields 14 and 15 of /proc/PID/stat, proc(5)) and the
 * peak resident set (VmHWM of /proc/PID/status).
 *
 *   /proc/PID/stat:   "1234 (qemu-system-x86) S 1 ... 14:utime 15:stime ..."
 *   /proc/PID/status: "...\nVmHWM:\t  812345 kB\n..."
 *
 * The command name may hold blanks and ')', so fields are counted after
 * the last ')'. What this measures is qemu's use, not the guest's: vCPU
 * time plus qemu's own threads (under TCG, code translation too), and the
 * guest RAM qemu has touched plus its own heap. Not here: per-vCPU times
 * (QMP query-cpus-fast has no times), balloon statistics.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "qemu-priv.h"

/* utime + stime (clock ticks) of /proc/PID/stat and VmHWM (kB). */
int qv__proc_usage(struct driver_stats *out, pid_t pid)
{
	char f[64], buf[4096], *p;
	uint64_t ut = 0, stt = 0, hwm = 0;
	const char *e;
	long hz = sysconf(_SC_CLK_TCK);
	int field;

	snprintf(f, sizeof(f), "/proc/%d/stat", (int)pid);
	if (driver__read_str(buf, sizeof(buf), f) <= 0 || !(p = strrchr(buf, ')')) || p[1] != ' ')
		return -1;
	/* after ")": field 3 is the state; utime is 14, stime 15 */
	p += 2;
	for (field = 3; field < 14 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || qv__parse_u64(&ut, p, &e) < 0 || *e != ' ' || qv__parse_u64(&stt, e + 1, NULL) < 0)
		return -1;
	snprintf(f, sizeof(f), "/proc/%d/status", (int)pid);
	if (driver__read_str(buf, sizeof(buf), f) > 0 && (p = strstr(buf, "\nVmHWM:")) != NULL) {
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		if (qv__parse_u64(&hwm, p, NULL) < 0)
			hwm = 0;
	}
	if (hz <= 0)
		hz = 100;
	out->cpu_usage_ns = (ut + stt) * (1000000000ull / (uint64_t)hz);
	out->mem_peak_bytes = hwm * 1024;
	return 0;
}
