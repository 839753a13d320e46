/*
 * json.c - the --json document.
 *
 * One JSON object on stdout, written as the run goes so that memory does
 * not grow with the number of groups:
 *
 *	{
 *	 "version": "1.0.0",
 *	 "options": {...},
 *	 "groups": [
 *	  {"device": D, "size": S, "kept": {"inode": I, "paths": [...]},
 *	   "members": [{"inode": I, "paths": [{"path": P, "action": A}]}],
 *	   "linked": N, "saved": B},
 *	  ...
 *	 ],
 *	 "summary": {...}
 *	}
 *
 * one line per group.  File names are bytes, JSON strings are Unicode:
 * a name's valid UTF-8 sequences are written as they are (with the
 * escapes JSON requires), and each byte that is not part of a valid
 * sequence as the lone surrogate \udcXX (XX the byte), as Python's
 * "surrogateescape" error handler decodes it.  os.fsencode() of the
 * decoded string gives the name's bytes back.  A lone surrogate is valid
 * JSON text but not a Unicode scalar value; strict parsers may replace
 * it with U+FFFD (jq does), losing only those bytes.
 */
#include "json.h"

#include <inttypes.h>
#include <string.h>

#include "opts.h"
#include "output.h"

/* struct json's state */
enum { NONE, KEPT, MEMBER };

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), or 0 when the byte
 * at s does not start one: no overlong forms, no surrogates (U+D800 to
 * U+DFFF), nothing above U+10FFFF; the rules of Python's decoder.
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

/* Writes s as a JSON string (see the top of this file for the bytes). */
void
json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', out);
	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			fprintf(out, "\\udc%02x", *p++);
		} else if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
		} else if (*p == '"' || *p == '\\') {
			putc('\\', out);
			putc(*p++, out);
		} else if (*p == '\n') {
			fputs("\\n", out);
			p++;
		} else if (*p == '\t') {
			fputs("\\t", out);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else {
			putc(*p++, out);
		}
	}
	putc('"', out);
}

static void
key(FILE *o, const char *k)
{
	fprintf(o, "\"%s\": ", k);
}

static void
bool_field(FILE *o, const char *k, int v, int last)
{
	key(o, k);
	fprintf(o, "%s%s", v ? "true" : "false", last ? "" : ", ");
}

static void
num_field(FILE *o, const char *k, uintmax_t v)
{
	key(o, k);
	fprintf(o, "%ju, ", v);
}

static void
patterns(FILE *o, const char *k, const struct regex_list *l)
{
	key(o, k);
	putc('[', o);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", o);
		json_string(o, l->pattern[i]);
	}
	fputs("]", o);
}

/* The options in effect (after -c and -l resolved), long names as keys. */
static void
options(FILE *o)
{
	static const char *const reflink[] = {
		[REFLINK_NEVER] = "never",
		[REFLINK_AUTO] = "auto",
		[REFLINK_ALWAYS] = "always",
	};

	key(o, "options");
	putc('{', o);
	key(o, "operands");
	putc('[', o);
	for (int i = 0; i < opts.noperands; i++) {
		if (i)
			fputs(", ", o);
		json_string(o, opts.operands[i]);
	}
	fputs("], ", o);
	bool_field(o, "dry_run", opts.dry_run, 0);
	bool_field(o, "content", opts.content, 0);
	bool_field(o, "ignore_mode", opts.ign_mode, 0);
	bool_field(o, "ignore_owner", opts.ign_owner, 0);
	bool_field(o, "ignore_time", opts.ign_time, 0);
	bool_field(o, "respect_name", opts.respect_name, 0);
	bool_field(o, "respect_dir", opts.respect_dir, 0);
	bool_field(o, "respect_xattrs", opts.respect_xattrs, 0);
	bool_field(o, "maximize", opts.maximize, 0);
	bool_field(o, "minimize", opts.minimize, 0);
	bool_field(o, "keep_oldest", opts.keep_oldest, 0);
	bool_field(o, "prioritize_trees", opts.prio_trees, 0);
	bool_field(o, "mount", opts.mount, 0);
	bool_field(o, "real_size", opts.real_size, 0);
	fprintf(o, "\"reflink\": \"%s\", ", reflink[opts.reflink]);
	bool_field(o, "skip_reflinks", opts.skip_reflinks, 0);
	num_field(o, "minimum_size", opts.min_size);
	num_field(o, "maximum_size", opts.max_size);
	num_field(o, "io_size", opts.io_size);
	num_field(o, "cache_size", opts.cache_size);
	num_field(o, "threads", opts.threads);
	num_field(o, "max_links", opts.max_links);
	fprintf(o, "\"method\": \"%s\", ", opts.method);
	patterns(o, "include", &opts.include);
	fputs(", ", o);
	patterns(o, "exclude", &opts.exclude);
	fputs(", ", o);
	patterns(o, "exclude_subtree", &opts.exclude_subtree);
	fputs("},\n", o);
}

void
json_begin(struct json *j)
{
	FILE *o = out_stdout();

	*j = (struct json){0};
	fprintf(o, "{\n\"version\": \"%s\",\n", HL_VERSION_STRING);
	options(o);
	fputs("\"groups\": [", o);
}

void
json_group(struct json *j, const struct fent *kept, const char *split)
{
	FILE *o = out_stdout();

	fputs(j->groups++ ? ",\n" : "\n", o);
	fprintf(o, "{\"device\": %" PRIu64 ", \"size\": %" PRIu64 ", ",
		fent_dev(kept), kept->size);
	if (split)
		fprintf(o, "\"split\": \"%s\", ", split);
	fprintf(o, "\"kept\": {\"inode\": %" PRIu64 ", \"paths\": [",
		kept->ino);
	j->state = KEPT;
	j->paths = 0;
}

void
json_member(struct json *j, const struct fent *f)
{
	FILE *o = out_stdout();

	fputs(j->state == KEPT ? "]}, \"members\": [" : "]}, ", o);
	fprintf(o, "{\"inode\": %" PRIu64 ", \"paths\": [", f->ino);
	j->state = MEMBER;
	j->paths = 0;
}

void
json_path(struct json *j, const char *path, const char *action,
	  const char *error)
{
	FILE *o = out_stdout();

	if (j->paths++)
		fputs(", ", o);
	if (j->state == KEPT) {
		json_string(o, path);
		return;
	}
	fputs("{\"path\": ", o);
	json_string(o, path);
	fprintf(o, ", \"action\": \"%s\"", action);
	if (error) {
		fputs(", \"error\": ", o);
		json_string(o, error);
	}
	putc('}', o);
}

void
json_group_end(struct json *j, uint64_t linked, uint64_t saved)
{
	FILE *o = out_stdout();

	/* a kept file without members: its duplicate was full (EMLINK) */
	fputs(j->state == KEPT ? "]}, \"members\": [" : "]}]", o);
	if (j->state == KEPT)
		putc(']', o);
	fprintf(o, ", \"linked\": %" PRIu64 ", \"saved\": %" PRIu64 "}", linked,
		saved);
	j->state = NONE;
}

void
json_end(struct json *j, const struct run *r, double duration, int warnings)
{
	const struct counters *c = &r->stats;
	FILE *o = out_stdout();

	fputs(j->groups ? "\n],\n" : "],\n", o);
	key(o, "summary");
	putc('{', o);
	fprintf(o, "\"mode\": \"%s\", ", opts.dry_run ? "dry-run" : "real");
	num_field(o, "files", c->files);
	num_field(o, "groups", c->groups);
	num_field(o, "linked", c->linked);
	num_field(o, "failed", c->failed);
	num_field(o, "compared", c->compared);
	num_field(o, "xattrs_compared", c->xattr_compared);
	num_field(o, "skipped_reflinks", c->skipped_reflinks);
	num_field(o, "reflinked", c->reflinked);
	num_field(o, "deduplicated", c->deduped);
	num_field(o, "deduplicated_bytes", c->dedupe_bytes);
	num_field(o, "saved", c->saved);
	num_field(o, "bytes_read", r->engine.bytes_read);
	num_field(o, "files_read", r->engine.files_opened);
	num_field(o, "cache_answered", c->cache_answered);
	num_field(o, "cache_bytes_spared", c->cache_spared);
	fprintf(o, "\"duration\": %.6f, ", duration);
	bool_field(o, "warnings", warnings, 1);
	fputs("}\n}\n", o);
}
