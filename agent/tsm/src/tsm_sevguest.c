/*
 * tsm_sevguest.c - an SEV-SNP report through /dev/sev-guest, for kernels
 * without configfs-tsm (before 6.7).
 *
 * SNP_GET_EXT_REPORT (linux/sev-guest.h, GHCB spec 2.0 "SNP Extended Guest
 * Request"): the request is struct snp_report_req {user_data[64], vmpl,
 * rsvd} plus a buffer for the certificate table; the response is
 * struct snp_report_resp {data[4000]}: the firmware's MSG_REPORT_RSP, a
 * 32-byte header (status u32, report_size u32, reserved) followed by the
 * 1184-byte report. When the certificate buffer is too small the kernel
 * fails with exitinfo2 = SNP_GUEST_VMM_ERR_INVALID_LEN and puts the needed
 * size in certs_len; we retry once with that size.
 *
 * Tested only for "device absent" here: no SEV-SNP guest is available to
 * the test machines (see MACHINE-NOTES). The layout follows the kernel's
 * UAPI header, which this file compiles against.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sev-guest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tsm-priv.h"

#define MSG_REPORT_RSP_HDR 32
#define SNP_REPORT_SIZE 1184

static int ext_report(int fd, const uint8_t *report_data, int vmpl, uint8_t *certs,
		      uint32_t *certs_len, struct snp_report_resp *resp, uint64_t *exitinfo2)
{
	struct snp_ext_report_req req;
	struct snp_guest_request_ioctl io;

	memset(&req, 0, sizeof(req));
	memset(&io, 0, sizeof(io));
	memcpy(req.data.user_data, report_data, TSM_REPORT_DATA_LEN);
	req.data.vmpl = (uint32_t)vmpl;
	req.certs_address = (uint64_t)(uintptr_t)certs;
	req.certs_len = *certs_len;
	io.msg_version = 1;
	io.req_data = (uint64_t)(uintptr_t)&req;
	io.resp_data = (uint64_t)(uintptr_t)resp;
	if (ioctl(fd, SNP_GET_EXT_REPORT, &io) < 0) {
		*exitinfo2 = io.exitinfo2;
		*certs_len = req.certs_len;
		return -errno;
	}
	*certs_len = req.certs_len;
	return 0;
}

int tsm__collect_sevguest(struct tsm_evidence *out, const char *dev, const uint8_t *report_data,
			  int vmpl, struct eph_err *err)
{
	struct snp_report_resp resp;
	uint32_t certs_len = 4 * 4096, status, size;
	uint64_t exitinfo2 = 0;
	uint8_t *certs = NULL;
	int fd, rc;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return eph_err_set(err, errno == ENOENT ? EPH_ENOTFOUND : EPH_EIO, "%s: %s", dev,
				   strerror(errno));
	certs = calloc(1, certs_len);
	if (certs == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
		goto out;
	}
	memset(&resp, 0, sizeof(resp));
	rc = ext_report(fd, report_data, vmpl, certs, &certs_len, &resp, &exitinfo2);
	if (rc == -EINVAL && (exitinfo2 >> 32) == SNP_GUEST_VMM_ERR_INVALID_LEN &&
	    certs_len <= TSM_MAX_BLOB) {
		uint8_t *bigger = realloc(certs, certs_len);

		if (bigger == NULL) {
			rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
			goto out;
		}
		certs = bigger;
		rc = ext_report(fd, report_data, vmpl, certs, &certs_len, &resp, &exitinfo2);
	}
	if (rc < 0) {
		rc = eph_err_set(err, EPH_EIO, "%s: SNP_GET_EXT_REPORT failed: %s (exitinfo2 0x%llx)",
				 dev, strerror(-rc), (unsigned long long)exitinfo2);
		goto out;
	}
	status = (uint32_t)resp.data[0] | (uint32_t)resp.data[1] << 8 |
		 (uint32_t)resp.data[2] << 16 | (uint32_t)resp.data[3] << 24;
	size = (uint32_t)resp.data[4] | (uint32_t)resp.data[5] << 8 |
	       (uint32_t)resp.data[6] << 16 | (uint32_t)resp.data[7] << 24;
	if (status != 0 || size != SNP_REPORT_SIZE) {
		rc = eph_err_set(err, EPH_EFORMAT,
				 "%s: firmware answered status 0x%x, report size %u", dev, status,
				 size);
		goto out;
	}
	out->outblob = malloc(SNP_REPORT_SIZE);
	if (out->outblob == NULL) {
		rc = eph_err_set(err, EPH_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(out->outblob, resp.data + MSG_REPORT_RSP_HDR, SNP_REPORT_SIZE);
	out->outblob_len = SNP_REPORT_SIZE;
	out->auxblob = certs;
	out->auxblob_len = certs_len;
	certs = NULL;
	out->provider = TSM_PROVIDER_SEV_GUEST;
	snprintf(out->provider_name, sizeof(out->provider_name), "sev_guest");
	out->attempts = 1;
	rc = 0;
out:
	free(certs);
	close(fd);
	return rc;
}
