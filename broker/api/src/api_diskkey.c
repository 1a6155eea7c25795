/*
 * api_diskkey.c - the data-disk keys of environments whose policy says
 * encryption "at-rest": one broker master secret (32 random bytes in a 0600
 * file, made on first use), and per environment
 *
 *   key = HKDF-SHA256(ikm = master, salt = "ephemera disk key v1",
 *                     info = environment id), 32 bytes      (RFC 5869)
 *
 * so that no per-environment key is ever stored: the driver formats the
 * disk with it at create and forgets it, and the broker derives it again
 * to release it after the environment's first accepted attestation. The
 * image never holds it; losing the master file makes every disk unreadable
 * (which, for ephemeral environments, is what destroy means anyway).
 *
 * Not here: when to release (api_lc.c), what a disk is (the driver).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "api-lc.h"

#define MASTER_LEN 32
static const char salt[] = "ephemera disk key v1";

/* Read the master secret, or make it (O_EXCL: two brokers never race). */
int api__diskkey_master(uint8_t master[32], const char *path, struct eph_err *err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return eph_err_set(err, EPH_EIO, "disk master key %s: %s", path,
					   strerror(errno));
		if (api__random(master, MASTER_LEN) < 0 ||
		    write(fd, master, MASTER_LEN) != MASTER_LEN || fsync(fd) != 0) {
			close(fd);
			unlink(path);
			explicit_bzero(master, MASTER_LEN);
			return eph_err_set(err, EPH_EIO, "disk master key %s: cannot write", path);
		}
		close(fd);
		return 0;
	}
	if (fd < 0)
		return eph_err_set(err, EPH_EIO, "disk master key %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    st.st_size != MASTER_LEN) {
		close(fd);
		return eph_err_set(err, EPH_EFORMAT,
				   "disk master key %s: must be a %d-byte file of mode 0600", path,
				   MASTER_LEN);
	}
	n = read(fd, master, MASTER_LEN);
	close(fd);
	if (n != MASTER_LEN) {
		explicit_bzero(master, MASTER_LEN);
		return eph_err_set(err, EPH_EIO, "disk master key %s: short read", path);
	}
	return 0;
}

int api__diskkey_derive(uint8_t key[32], const uint8_t master[32], const char *env_id,
			struct eph_err *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int rc = 0;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, MASTER_LEN);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
						 sizeof(salt) - 1);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)env_id,
						 strlen(env_id));
	p[4] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_KDF_derive(ctx, key, 32, p) != 1) {
		explicit_bzero(key, 32);
		rc = eph_err_set(err, EPH_EFAIL, "HKDF-SHA256 unavailable");
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}
