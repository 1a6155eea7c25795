/*
 * state.c - the agent state folder: who the broker says we are and the AK
 * that proves it, kept across restarts so that the agent enrols once.
 *
 *   STATE_DIR/            0700, created if missing (its parent must exist)
 *     agent               text, "key value" lines: version 1, agent_id,
 *                         broker, ek_alg, ak_alg, ak_pub_sha256 (the commit
 *                         point: written last; the hash ties it to ak.pub so
 *                         that an enrolment cut short is detected)
 *     ak.pub              AK TPM2B_PUBLIC
 *     ak.priv             AK TPM2B_PRIVATE (wrapped by the EK: only this TPM
 *                         can load it)
 *     ima                 text: boot_id, entries, bytes: how much of this
 *                         boot's IMA list the broker has accepted
 *
 * Every file is 0600 and written atomically: a mkstemp name in the same
 * folder, write, fsync, rename over the old name, fsync the folder.
 *
 * Not here: what is done with the AK (enrol.c, attest.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentc-priv.h"
#include "eph_file.h"
#include "eph_hash.h"
#include "eph_hex.h"

#define STATE_MAX_TEXT 4096

static const struct {
	int alg;
	const char *name;
} algs[] = {
    {TPMQ_RSA2048, "rsa2048"},
    {TPMQ_ECC_P256, "ecc-p256"},
    {TPMQ_RSA2048_PSS, "rsa2048-pss"},
    {TPMQ_ECC_P384, "ecc-p384"},
};

const char *agentc__alg_name(int alg)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return NULL;
}

int agentc__alg_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return algs[i].alg;
	return 0;
}

void agentc__state_clear(agentc *a)
{
	if (a->ak_priv != NULL)
		explicit_bzero(a->ak_priv, a->ak_priv_len);
	free(a->ak_pub);
	free(a->ak_priv);
	a->ak_pub = NULL;
	a->ak_priv = NULL;
	a->ak_pub_len = 0;
	a->ak_priv_len = 0;
	a->ak_name_len = 0;
	a->have_state = 0;
	a->agent_id[0] = '\0';
	a->ek_alg = 0;
	a->ready_tpm = NULL;
	a->boot_id[0] = '\0';
	a->ima_entries = 0;
	a->ima_bytes = 0;
}

static int path_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

static int ensure_dir(const char *dir, struct eph_err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return eph_err_set(err, EPH_EIO, "state folder %s: cannot create: %s", dir,
		                   strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return eph_err_set(err, EPH_EIO, "state folder %s: not a folder", dir);
	return 0;
}

int agentc__write_atomic(const char *dir, const char *name, const uint8_t *buf, size_t len,
                         struct eph_err *err)
{
	char tmp[4096], dst[4096];
	int fd = -1, dfd = -1, rc;
	size_t off = 0;

	if (path_join(dst, sizeof(dst), dir, name) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp))
		return eph_err_set(err, EPH_EFORMAT, "state folder %s: path too long", dir);
	rc = ensure_dir(dir, err);
	if (rc < 0)
		return rc;
	fd = mkstemp(tmp); /* 0600 */
	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "%s: cannot create: %s", tmp, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		rc = eph_err_set(err, EPH_EIO, "%s: chmod: %s", tmp, strerror(errno));
		goto fail;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = eph_err_set(err, EPH_EIO, "%s: write: %s", tmp, strerror(errno));
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		rc = eph_err_set(err, EPH_EIO, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = eph_err_set(err, EPH_EIO, "%s: close: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		rc = eph_err_set(err, EPH_EIO, "%s: rename to %s: %s", tmp, dst, strerror(errno));
		goto fail;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd); /* best effort: the data itself is on disk */
		close(dfd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* Append "key value\n" to buf (of cap bytes, used *n); -1 when full. */
static int put_kv(char *buf, size_t cap, size_t *n, const char *key, const char *val)
{
	int w = snprintf(buf + *n, cap - *n, "%s %s\n", key, val);

	if (w < 0 || (size_t)w >= cap - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

int agentc__ima_save(agentc *a, struct eph_err *err)
{
	char buf[256], num[32];
	size_t n = 0;

	if (put_kv(buf, sizeof(buf), &n, "boot_id", a->boot_id[0] ? a->boot_id : "-") < 0)
		return eph_err_set(err, EPH_EFAIL, "ima state: too long");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)a->ima_entries);
	put_kv(buf, sizeof(buf), &n, "entries", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)a->ima_bytes);
	put_kv(buf, sizeof(buf), &n, "bytes", num);
	return agentc__write_atomic(a->state_dir, "ima", (const uint8_t *)buf, n, err);
}

static int compute_name(agentc *a, struct eph_err *err)
{
	tpmq_key *k = NULL;
	int rc;

	rc = tpmq_key_from_public(&k, a->ak_pub, a->ak_pub_len, err);
	if (rc == 0)
		rc = tpmq_key_name(a->ak_name, &a->ak_name_len, k, err);
	tpmq_key_free(k);
	return rc;
}

int agentc__state_save(agentc *a, struct eph_err *err)
{
	uint8_t dig[32];
	char buf[STATE_MAX_TEXT], hex[65];
	size_t n = 0;
	int rc;

	if (a->state_dir == NULL)
		return eph_err_set(err, EPH_EFAIL, "no state folder configured");
	if (eph_hash(EPH_ALG_SHA256, a->ak_pub, a->ak_pub_len, dig) < 0 ||
	    eph_hex_encode(hex, sizeof(hex), dig, sizeof(dig)) < 0)
		return eph_err_set(err, EPH_EFAIL, "hashing ak.pub failed");
	rc = agentc__write_atomic(a->state_dir, "ak.pub", a->ak_pub, a->ak_pub_len, err);
	if (rc == 0)
		rc = agentc__write_atomic(a->state_dir, "ak.priv", a->ak_priv, a->ak_priv_len, err);
	if (rc == 0)
		rc = agentc__ima_save(a, err);
	if (rc < 0)
		return rc;
	if (put_kv(buf, sizeof(buf), &n, "version", "1") < 0 ||
	    put_kv(buf, sizeof(buf), &n, "agent_id", a->agent_id) < 0 ||
	    put_kv(buf, sizeof(buf), &n, "broker", a->url) < 0 ||
	    put_kv(buf, sizeof(buf), &n, "ek_alg", agentc__alg_name(a->ek_alg)) < 0 ||
	    put_kv(buf, sizeof(buf), &n, "ak_alg", agentc__alg_name(a->ak_alg)) < 0 ||
	    put_kv(buf, sizeof(buf), &n, "ak_pub_sha256", hex) < 0)
		return eph_err_set(err, EPH_EFAIL, "agent state: longer than %d bytes",
		                   STATE_MAX_TEXT);
	return agentc__write_atomic(a->state_dir, "agent", (const uint8_t *)buf, n, err);
}

/*
 * Find "key value" in a text file image; copy value into out. 0, or -1 when
 * absent or too long. Keys are matched at line starts only.
 */
static int get_kv(char *out, size_t outlen, const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t llen = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (llen > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ') {
			size_t vlen = llen - klen - 1;

			if (vlen == 0 || vlen >= outlen)
				return -1;
			memcpy(out, p + klen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return -1;
}

static int get_u64(uint64_t *v, const char *text, const char *key)
{
	char buf[32], *end = NULL;
	unsigned long long x;

	if (get_kv(buf, sizeof(buf), text, key) < 0 || buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

static int read_in(uint8_t **out, size_t *len, const char *dir, const char *name, size_t max,
                   struct eph_err *err)
{
	char path[4096];

	if (path_join(path, sizeof(path), dir, name) < 0)
		return eph_err_set(err, EPH_EFORMAT, "state folder %s: path too long", dir);
	return eph_file_read(out, len, path, max, err);
}

/* The IMA progress file; absent or damaged means "from the start". */
static void ima_load(agentc *a)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct eph_err e2;

	a->boot_id[0] = '\0';
	a->ima_entries = 0;
	a->ima_bytes = 0;
	if (read_in(&buf, &len, a->state_dir, "ima", 256, &e2) < 0)
		return;
	if (get_kv(a->boot_id, sizeof(a->boot_id), (const char *)buf, "boot_id") < 0 ||
	    get_u64(&a->ima_entries, (const char *)buf, "entries") < 0 ||
	    get_u64(&a->ima_bytes, (const char *)buf, "bytes") < 0) {
		a->boot_id[0] = '\0';
		a->ima_entries = 0;
		a->ima_bytes = 0;
	}
	free(buf);
}

int agentc_state_load(agentc *a, struct eph_err *err)
{
	uint8_t *text = NULL, dig[32];
	size_t len = 0;
	char val[WIRE_MAX_TEXT], hex[65];
	char path[4096];
	int rc;

	agentc__state_clear(a);
	if (a->state_dir == NULL)
		return eph_err_set(err, EPH_EFAIL, "no state folder configured");
	if (path_join(path, sizeof(path), a->state_dir, "agent") < 0)
		return eph_err_set(err, EPH_EFORMAT, "state folder %s: path too long",
		                   a->state_dir);
	if (access(path, F_OK) != 0)
		return eph_err_set(err, EPH_ENOTFOUND, "%s: no agent state (not enrolled)", path);
	rc = eph_file_read(&text, &len, path, STATE_MAX_TEXT, err);
	if (rc < 0)
		goto out;
	rc = EPH_EFORMAT;
	if (get_kv(val, sizeof(val), (const char *)text, "version") < 0 || strcmp(val, "1") != 0) {
		eph_err_set(err, rc, "%s: no 'version 1' line", path);
		goto out;
	}
	if (get_kv(val, sizeof(val), (const char *)text, "broker") < 0 ||
	    strcmp(val, a->url) != 0) {
		/* Enrolled with another broker: that id means nothing here. */
		rc = eph_err_set(err, EPH_ENOTFOUND, "%s: not enrolled with %s", path, a->url);
		goto out;
	}
	if (get_kv(a->agent_id, sizeof(a->agent_id), (const char *)text, "agent_id") < 0) {
		eph_err_set(err, rc, "%s: no agent_id", path);
		goto out;
	}
	if (get_kv(val, sizeof(val), (const char *)text, "ek_alg") < 0 ||
	    (a->ek_alg = agentc__alg_from_name(val)) == 0) {
		eph_err_set(err, rc, "%s: missing or unknown ek_alg", path);
		goto out;
	}
	if (get_kv(val, sizeof(val), (const char *)text, "ak_alg") < 0 ||
	    agentc__alg_from_name(val) == 0) {
		eph_err_set(err, rc, "%s: missing or unknown ak_alg", path);
		goto out;
	}
	rc = read_in(&a->ak_pub, &a->ak_pub_len, a->state_dir, "ak.pub", WIRE_MAX_SMALL, err);
	if (rc == 0)
		rc = read_in(&a->ak_priv, &a->ak_priv_len, a->state_dir, "ak.priv", WIRE_MAX_SMALL,
		             err);
	if (rc < 0) {
		rc = eph_err_prefix(err, EPH_EFORMAT, "agent state in %s incomplete", a->state_dir);
		goto out;
	}
	if (get_kv(val, sizeof(val), (const char *)text, "ak_pub_sha256") < 0 ||
	    eph_hash(EPH_ALG_SHA256, a->ak_pub, a->ak_pub_len, dig) < 0 ||
	    eph_hex_encode(hex, sizeof(hex), dig, sizeof(dig)) < 0 || strcmp(hex, val) != 0) {
		rc = eph_err_set(err, EPH_EFORMAT,
		                 "%s/ak.pub does not match the agent file's ak_pub_sha256 "
		                 "(an enrolment cut short?)",
		                 a->state_dir);
		goto out;
	}
	rc = compute_name(a, err);
	if (rc < 0) {
		eph_err_prefix(err, rc, "%s/ak.pub", a->state_dir);
		goto out;
	}
	ima_load(a);
	a->have_state = 1;
	rc = 0;
out:
	free(text);
	if (rc < 0)
		agentc__state_clear(a);
	return rc;
}

int agentc__state_set_ak(agentc *a, uint8_t *pub, size_t pub_len, uint8_t *priv, size_t priv_len,
                         struct eph_err *err)
{
	agentc__state_clear(a);
	a->ak_pub = pub;
	a->ak_pub_len = pub_len;
	a->ak_priv = priv;
	a->ak_priv_len = priv_len;
	return compute_name(a, err);
}
