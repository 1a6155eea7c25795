/*
 * render.c - ephemeractl's output: pretty JSON, aligned tables of list
 * documents, YAML of single objects, and wire_env as JSON.
 *
 * Everything printed comes from the broker, so text is sanitised: control
 * characters never reach the terminal (tables replace them with '?', YAML
 * escapes them in a double-quoted scalar).
 *
 * Not here: fetching (envs.c, agents.c).
 */
#include <string.h>
#include <time.h>

#include "ctl.h"

#define MAX_COLS 16
#define CELL_MAX 48

void ephctl_print_json(FILE *f, json_t *doc)
{
	json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

void ephctl_time(char *out, size_t outlen, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "-");
}

static void sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* AR4SI vector {claim: tier} as "ii=2 cf=2 ex=0 ..." (tier numbers). */
static void ar4si_cell(char *out, size_t outlen, json_t *v)
{
	static const char *const names[][2] = {
	    {"instance_identity", "id"}, {"configuration", "cf"}, {"executables", "ex"},
	    {"file_system", "fs"},       {"hardware", "hw"},      {"runtime_opaque", "rt"},
	    {"storage_opaque", "st"},    {"sourced_data", "sd"},
	};
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < outlen; i++) {
		json_t *t = json_object_get(v, names[i][0]);
		int w;

		if (!json_is_integer(t))
			continue;
		w = snprintf(out + n, outlen - n, "%s%s=%lld", n ? " " : "", names[i][1],
		             (long long)json_integer_value(t));
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static void cell(char *out, size_t outlen, json_t *v, enum ephctl_col_kind kind)
{
	char *dump;

	if (v == NULL || json_is_null(v)) {
		snprintf(out, outlen, "-");
		return;
	}
	if (kind == EPHCTL_COL_TIME && json_is_integer(v)) {
		ephctl_time(out, outlen, (long long)json_integer_value(v));
		return;
	}
	if (kind == EPHCTL_COL_AR4SI && json_is_object(v)) {
		ar4si_cell(out, outlen, v);
		return;
	}
	if (json_is_string(v)) {
		snprintf(out, outlen, "%s", json_string_value(v));
	} else if (json_is_true(v) || json_is_false(v)) {
		snprintf(out, outlen, "%s", json_is_true(v) ? "yes" : "no");
	} else {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(out, outlen, "%s", dump != NULL ? dump : "?");
		free(dump);
	}
	if (strlen(out) >= CELL_MAX) /* keep tables readable; --json has it all */
		memcpy(out + CELL_MAX - 4, "...", 4);
	sanitize(out);
}

static json_t *rows_of(json_t *doc)
{
	const char *k;
	json_t *v;

	if (json_is_array(doc))
		return doc;
	json_object_foreach(doc, k, v) if (json_is_array(v)) return v;
	return NULL;
}

int ephctl_print_table(FILE *f, json_t *doc, const struct ephctl_col *cols, size_t ncols)
{
	struct ephctl_col auto_cols[MAX_COLS];
	size_t width[MAX_COLS], i, c;
	json_t *rows = rows_of(doc), *row;
	char buf[CELL_MAX + 8];

	if (rows == NULL)
		return -1;
	if (cols == NULL) {
		ncols = 0;
		json_array_foreach(rows, i, row)
		{
			const char *k;
			json_t *v;

			json_object_foreach(row, k, v)
			{
				if (json_is_object(v) || json_is_array(v) || ncols == MAX_COLS)
					continue;
				for (c = 0; c < ncols && strcmp(auto_cols[c].key, k) != 0; c++)
					;
				if (c == ncols) {
					auto_cols[ncols].key = k;
					auto_cols[ncols].header = k;
					auto_cols[ncols].kind = EPHCTL_COL_TEXT;
					ncols++;
				}
			}
		}
		cols = auto_cols;
	}
	if (ncols > MAX_COLS)
		ncols = MAX_COLS;
	if (json_array_size(rows) == 0) {
		fputs("(none)\n", f);
		return 0;
	}
	for (c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].header);
	json_array_foreach(rows, i, row) for (c = 0; c < ncols; c++)
	{
		cell(buf, sizeof(buf), json_object_get(row, cols[c].key), cols[c].kind);
		if (strlen(buf) > width[c])
			width[c] = strlen(buf);
	}
	for (c = 0; c < ncols; c++)
		fprintf(f, "%-*s%s", c + 1 < ncols ? (int)width[c] : 0, cols[c].header,
		        c + 1 < ncols ? "  " : "\n");
	json_array_foreach(rows, i, row) for (c = 0; c < ncols; c++)
	{
		cell(buf, sizeof(buf), json_object_get(row, cols[c].key), cols[c].kind);
		fprintf(f, "%-*s%s", c + 1 < ncols ? (int)width[c] : 0, buf,
		        c + 1 < ncols ? "  " : "\n");
	}
	return 0;
}

/* A YAML scalar: plain when unambiguous, else double-quoted and escaped. */
static void yaml_str(FILE *f, const char *s)
{
	static const char *const special[] = {"",   "~",  "null", "true", "false", "yes",
	                                      "no", "on", "off",  "Null", "True",  "False"};
	const char *p;
	int plain = 1;
	size_t i;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcmp(s, special[i]) == 0)
			plain = 0;
	if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.' || s[0] == ' ')
		plain = 0;
	for (p = s; plain && *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || strchr("-_./+=@() ", ch) != NULL))
			plain = 0;
	}
	if (plain && s[strlen(s) - 1] != ' ') {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void yaml_scalar(FILE *f, json_t *v)
{
	if (json_is_string(v))
		yaml_str(f, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, "%g", json_real_value(v));
	else if (json_is_true(v))
		fputs("true", f);
	else if (json_is_false(v))
		fputs("false", f);
	else
		fputs("null", f);
}

static int is_container(json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	       (json_is_array(v) && json_array_size(v) > 0);
}

void ephctl_print_yaml(FILE *f, json_t *v, int indent)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
		{
			fprintf(f, "%*s", indent, "");
			yaml_str(f, k);
			fputc(':', f);
			if (is_container(x)) {
				fputc('\n', f);
				ephctl_print_yaml(f, x, indent + 2);
			} else {
				fputc(' ', f);
				if (json_is_array(x))
					fputs("[]", f);
				else if (json_is_object(x))
					fputs("{}", f);
				else
					yaml_scalar(f, x);
				fputc('\n', f);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			fprintf(f, "%*s- ", indent, "");
			if (json_is_object(x) && json_object_size(x) > 0) {
				/* first key on the dash line, the rest indented */
				int first = 1;

				json_t *y;

				json_object_foreach(x, k, y)
				{
					json_t *one = json_object();

					json_object_set(one, k, y);
					if (first) {
						/* rendered at the item's indent, minus the dash */
						char *line = NULL;
						size_t len = 0, skip = (size_t)indent + 2;
						FILE *m = open_memstream(&line, &len);

						if (m != NULL) {
							ephctl_print_yaml(m, one, indent + 2);
							fclose(m);
							fputs(len > skip ? line + skip : "\n", f);
						}
						free(line);
						first = 0;
					} else {
						ephctl_print_yaml(f, one, indent + 2);
					}
					json_decref(one);
				}
			} else {
				yaml_scalar(f, x);
				fputc('\n', f);
			}
		}
	} else {
		fprintf(f, "%*s", indent, "");
		yaml_scalar(f, v);
		fputc('\n', f);
	}
}

json_t *ephctl_env_json(const struct wire_env *e)
{
	json_t *attrs = json_array(), *o;
	uint32_t i;

	for (i = 0; attrs != NULL && i < e->num_attrs && i < WIRE_MAX_ATTRS; i++)
		json_array_append_new(attrs, json_pack("{s:s, s:s, s:f}", "name", e->attrs[i].name,
		                                       "value", e->attrs[i].value, "confidence",
		                                       (double)e->attrs[i].confidence));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:o}", "env_id",
	              e->env_id, "state", e->state, "reason", e->reason, "size", e->size, "count",
	              (json_int_t)e->count, "prewarm", (json_int_t)e->prewarm, "vcpu_milli",
	              (json_int_t)e->vcpu_milli, "mem_mib", (json_int_t)e->mem_mib, "network",
	              e->network, "encryption", e->encryption, "ttl", (json_int_t)e->ttl,
	              "reattest", (json_int_t)e->reattest, "attrs",
	              attrs != NULL ? attrs : json_array());
	return o;
}
