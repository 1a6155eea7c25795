/*
 * driver.c - what every driver shares: the env id rule. The id names
 * folders, cgroups and hostnames, so it is restricted to [A-Za-z0-9-] (no
 * '/', no "..", no leading dot) and a bounded length. Nothing else lives here.
 */
#include <string.h>

#include "driver.h"

int driver_id_valid(const char *id)
{
	size_t i, n;

	if (!id)
		return 0;
	n = strnlen(id, DRIVER_ID_MAX + 1);
	if (n == 0 || n > DRIVER_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}
