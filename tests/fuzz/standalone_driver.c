/*
 * standalone_driver.c - replay fuzz inputs through LLVMFuzzerTestOneInput
 * without libFuzzer, so that every seed and every past crash in
 * tests/fuzz/corpora/<parser>/ runs as an ordinary test under gcc and under
 * the sanitizer build.
 *
 *   evlog_fuzzer_replay FILE|DIR...
 *
 * Directories are walked recursively, entries in name order so that runs are
 * reproducible; hidden entries (".git", editor files) are skipped. Arguments
 * starting with '-' are ignored, so a libFuzzer command line also works.
 * Each input goes into a malloc'ed buffer of exactly its size, so that
 * AddressSanitizer catches a read one past the end as libFuzzer would.
 * Prints "N inputs replayed" and exits 0; exits 1 if a file or directory
 * cannot be read. A crash is the target's own abort, as under libFuzzer.
 *
 * Not here: mutation, coverage, timeouts (that is libFuzzer's job, see
 * tests/fuzz/run-fuzzers.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (64u << 20) /* libFuzzer's own default cap is far lower */
#define REPLAY_MAX_DEPTH 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path, size_t *count)
{
	FILE *f = NULL;
	uint8_t *buf = NULL;
	long end;
	size_t len;
	int rc = -1;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot seek: %s\n", path, strerror(errno));
		goto out;
	}
	if ((unsigned long)end > REPLAY_MAX_INPUT) {
		fprintf(stderr, "%s: larger than %u bytes\n", path, REPLAY_MAX_INPUT);
		goto out;
	}
	len = (size_t)end;
	/* malloc(0) may return NULL; the target still gets a valid pointer. */
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto out;
	}
	if (len > 0 && fread(buf, 1, len, f) != len) {
		fprintf(stderr, "%s: short read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, len);
	(*count)++;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

static int replay_path(const char *path, size_t *count, int depth);

static int replay_dir(const char *path, size_t *count, int depth)
{
	struct dirent **names = NULL;
	char *child = NULL;
	int n, i, rc = 0;

	if (depth > REPLAY_MAX_DEPTH) {
		fprintf(stderr, "%s: directories nested deeper than %d\n", path, REPLAY_MAX_DEPTH);
		return -1;
	}
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t need;

		if (names[i]->d_name[0] == '.')
			continue;
		need = strlen(path) + 1 + strlen(names[i]->d_name) + 1;
		free(child);
		child = malloc(need);
		if (child == NULL) {
			fprintf(stderr, "%s: out of memory\n", path);
			rc = -1;
			break;
		}
		snprintf(child, need, "%s/%s", path, names[i]->d_name);
		if (replay_path(child, count, depth + 1) < 0)
			rc = -1;
	}
	free(child);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int replay_path(const char *path, size_t *count, int depth)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return replay_dir(path, count, depth);
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: not a regular file or directory\n", path);
		return -1;
	}
	return replay_file(path, count);
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, failed = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (replay_path(argv[i], &count, 0) < 0)
			failed = 1;
	}
	printf("%zu inputs replayed\n", count);
	return failed ? 1 : 0;
}
