/*
 * agents.c - `ephemeractl agents list` (GET /v1/agents) and
 * `ephemeractl attestations AGENT_ID` (GET /v1/agents/ID/attestations):
 * the broker's JSON list documents as tables, or as they came with --json.
 *
 * Not here: the transport (libagentc), the table printer (render.c).
 */
#include <string.h>

#include "ctl.h"

static const struct ephctl_col agent_cols[] = {
    {"id", "ID", EPHCTL_COL_TEXT},
    {"hostname", "HOST", EPHCTL_COL_TEXT},
    {"cvm", "CVM", EPHCTL_COL_TEXT},
    {"ek_certified", "EK CERT", EPHCTL_COL_TEXT},
    {"activated_at", "ACTIVATED", EPHCTL_COL_TIME},
    {"last_attest_at", "LAST ATTEST", EPHCTL_COL_TIME},
    {"next_deadline", "DEADLINE", EPHCTL_COL_TIME},
};

static const struct ephctl_col attest_cols[] = {
    {"id", "#", EPHCTL_COL_TEXT},
    {"at", "AT", EPHCTL_COL_TIME},
    {"accepted", "ACCEPTED", EPHCTL_COL_TEXT},
    {"ar4si", "AR4SI", EPHCTL_COL_AR4SI},
    {"reason", "REASON", EPHCTL_COL_TEXT},
};

int ephctl_agents(struct ephctl *c, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "list") != 0)
		return ephctl_fail(EPHCTL_USAGE, "usage: agents list");
	return ephctl_list(c, "/v1/agents", agent_cols, sizeof(agent_cols) / sizeof(agent_cols[0]));
}

int ephctl_attestations(struct ephctl *c, int argc, char **argv)
{
	char esc[WIRE_MAX_TEXT * 3 + 1], path[sizeof(esc) + 40];

	if (argc != 1)
		return ephctl_fail(EPHCTL_USAGE, "usage: attestations AGENT_ID");
	if (argv[0][0] == '\0' || ephctl_escape(esc, sizeof(esc), argv[0]) < 0)
		return ephctl_fail(EPHCTL_USAGE, "agent id '%.64s' is empty or too long", argv[0]);
	snprintf(path, sizeof(path), "/v1/agents/%s/attestations", esc);
	return ephctl_list(c, path, attest_cols, sizeof(attest_cols) / sizeof(attest_cols[0]));
}
