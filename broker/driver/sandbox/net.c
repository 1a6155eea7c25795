/*
 * net.c - the sandbox's network. "none": only lo, brought up inside. "veth":
 * a veth pair, host end ephh<hash> and sandbox end ephp<hash> (renamed eth0
 * inside), addressed from a private /30 in 169.254.0.0/16 (link-local: never
 * routed off the machine). The host end gets .1, the sandbox end .2; the
 * sandbox gets no default route and no NAT is set up, so it reaches the host
 * end's address and nothing else (it lacks CAP_NET_ADMIN to add routes).
 * Blocks are chosen from 169.254.1.0-169.254.254.255, skipping
 * 169.254.169.0/24 (cloud metadata lives at 169.254.169.254), starting at a
 * hash of the env id and skipping any /30 that an interface here already
 * uses. Host side uses iproute2 (`ip link add ... type veth`, `ip link set
 * ... netns PID`, `ip addr add`), run without a shell; inside, plain ioctls.
 * Not done: IPv6, bandwidth shaping, firewalling the host end's other
 * services (a host daemon bound to 0.0.0.0 is reachable at .1).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox-priv.h"

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

void sbx__net_names(char host_if[SBX_IFNAME], char peer_if[SBX_IFNAME], const char *id)
{
	uint32_t h = fnv1a(id);

	snprintf(host_if, SBX_IFNAME, "ephh%08x", h);
	snprintf(peer_if, SBX_IFNAME, "ephp%08x", h);
}

/* Does any local interface have an IPv4 address inside net/30? */
static int block_used(const struct ifaddrs *ifa, uint32_t net)
{
	for (; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;

		if (a && a->sin_family == AF_INET && (ntohl(a->sin_addr.s_addr) & ~3u) == net)
			return 1;
	}
	return 0;
}

int sbx__net_pick(uint32_t *host, uint32_t *sbx, const char *id, struct eph_err *err)
{
	/* 254 third octets (1..254) x 64 blocks = 16256 blocks; skip .169. */
	const uint32_t nblocks = 254u * 64u;
	uint32_t start = fnv1a(id) % nblocks, i;
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return eph_err_set(err, EPH_EFAIL, "getifaddrs: %s", strerror(errno));
	for (i = 0; i < nblocks; i++) {
		uint32_t b = (start + i) % nblocks, o3 = 1 + b / 64, net;

		if (o3 == 169)
			continue;
		net = (169u << 24) | (254u << 16) | (o3 << 8) | ((b % 64) * 4);
		if (block_used(ifa, net))
			continue;
		freeifaddrs(ifa);
		*host = htonl(net + 1);
		*sbx = htonl(net + 2);
		return 0;
	}
	freeifaddrs(ifa);
	return eph_err_set(err, EPH_EFAIL, "no free /30 left in 169.254.0.0/16");
}

static const char *ip_path(void)
{
	static const char *const c[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (access(c[i], X_OK) == 0)
			return c[i];
	return NULL;
}

static int ip(const char *const *args, struct eph_err *err)
{
	const char *argv[12];
	struct sbx_run r = { .argv = argv, .netns = SBX_NETNS_HOST, .timeout_ms = 5000 };
	size_t i;
	int rc;

	argv[0] = ip_path();
	if (!argv[0])
		return eph_err_set(err, EPH_EUNSUPPORTED, "veth needs iproute2 (Debian: iproute2)");
	for (i = 0; args[i] && i < 10; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	rc = sbx__run(&r, err);
	if (rc > 0)
		return eph_err_set(err, EPH_EFAIL, "ip %s %s %s: exit %d", args[0], args[1],
				   args[2] ? args[2] : "", rc);
	return rc;
}

int sbx__net_veth_up(const char *host_if, const char *peer_if, pid_t pid, uint32_t host,
		     struct eph_err *err)
{
	char spid[16], dq[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN + 4];
	struct in_addr a = { .s_addr = host };
	int rc;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	inet_ntop(AF_INET, &a, dq, sizeof(dq));
	snprintf(addr, sizeof(addr), "%s/30", dq);
	rc = ip((const char *const[]){ "link", "add", host_if, "type", "veth", "peer", "name",
				       peer_if, NULL }, err);
	if (rc == 0)
		rc = ip((const char *const[]){ "link", "set", peer_if, "netns", spid, NULL }, err);
	if (rc == 0)
		rc = ip((const char *const[]){ "addr", "add", addr, "dev", host_if, NULL }, err);
	if (rc == 0)
		rc = ip((const char *const[]){ "link", "set", host_if, "up", NULL }, err);
	return rc;
}

int sbx__net_veth_down(const char *host_if, struct eph_err *err)
{
	if (if_nametoindex(host_if) == 0)
		return 0;
	if (ip((const char *const[]){ "link", "del", host_if, NULL }, err) < 0 &&
	    if_nametoindex(host_if) != 0)
		return EPH_EFAIL;
	return 0;
}

static int ifr_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

int sbx__net_lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (s < 0)
		return -errno;
	rc = ifr_up(s, "lo") < 0 ? -errno : 0;
	close(s);
	return rc;
}

/* Runs in the sandbox's first process, before exec: async-signal-safe only. */
int sbx__net_child_setup(const struct sbx_plan *plan)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -EIO;

	if (s < 0)
		return -errno;
	if (ifr_up(s, "lo") < 0)
		goto out;
	if (plan->veth) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, plan->peer_if, strnlen(plan->peer_if, IFNAMSIZ - 1));
		memcpy(ifr.ifr_newname, "eth0", 5);
		if (ioctl(s, SIOCSIFNAME, &ifr) < 0)
			goto out;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, "eth0", 5);
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = plan->addr;
		if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
			goto out;
		sin->sin_addr.s_addr = htonl(0xfffffffcu);
		if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
			goto out;
		if (ifr_up(s, "eth0") < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc)
		rc = -errno;
	close(s);
	return rc;
}
