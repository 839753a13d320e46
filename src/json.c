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
#include "hardlink.h"

#include <inttypes.h>
#include <string.h>

/* Where the writer is inside the current group. */
static enum { NONE, KEPT, MEMBER } state;
static int first_group = 1, first_path;

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
key(const char *k)
{
	printf("\"%s\": ", k);
}

static void
bool_field(const char *k, int v, int last)
{
	key(k);
	printf("%s%s", v ? "true" : "false", last ? "" : ", ");
}

static void
num_field(const char *k, uintmax_t v)
{
	key(k);
	printf("%ju, ", v);
}

static void
patterns(const char *k, const struct regex_list *l)
{
	key(k);
	putchar('[');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", stdout);
		json_string(stdout, l->pattern[i]);
	}
	fputs("]", stdout);
}

/* The options in effect (after -c and -l resolved), long names as keys. */
static void
options(void)
{
	static const char *const reflink[] = {
		[REFLINK_NEVER] = "never",
		[REFLINK_AUTO] = "auto",
		[REFLINK_ALWAYS] = "always",
	};

	key("options");
	putchar('{');
	key("operands");
	putchar('[');
	for (int i = 0; i < opts.noperands; i++) {
		if (i)
			fputs(", ", stdout);
		json_string(stdout, opts.operands[i]);
	}
	fputs("], ", stdout);
	bool_field("dry_run", opts.dry_run, 0);
	bool_field("content", opts.content, 0);
	bool_field("ignore_mode", opts.ign_mode, 0);
	bool_field("ignore_owner", opts.ign_owner, 0);
	bool_field("ignore_time", opts.ign_time, 0);
	bool_field("respect_name", opts.respect_name, 0);
	bool_field("respect_dir", opts.respect_dir, 0);
	bool_field("respect_xattrs", opts.respect_xattrs, 0);
	bool_field("maximize", opts.maximize, 0);
	bool_field("minimize", opts.minimize, 0);
	bool_field("keep_oldest", opts.keep_oldest, 0);
	bool_field("prioritize_trees", opts.prio_trees, 0);
	bool_field("mount", opts.mount, 0);
	bool_field("real_size", opts.real_size, 0);
	printf("\"reflink\": \"%s\", ", reflink[opts.reflink]);
	bool_field("skip_reflinks", opts.skip_reflinks, 0);
	num_field("minimum_size", opts.min_size);
	num_field("maximum_size", opts.max_size);
	num_field("io_size", opts.io_size);
	num_field("cache_size", opts.cache_size);
	num_field("threads", opts.threads);
	printf("\"method\": \"%s\", ", opts.method);
	patterns("include", &opts.include);
	fputs(", ", stdout);
	patterns("exclude", &opts.exclude);
	fputs(", ", stdout);
	patterns("exclude_subtree", &opts.exclude_subtree);
	fputs("},\n", stdout);
}

void
json_begin(void)
{
	printf("{\n\"version\": \"%s\",\n", HL_VERSION_STRING);
	options();
	fputs("\"groups\": [", stdout);
}

void
json_group(const struct fent *kept)
{
	progress_hide();
	fputs(first_group ? "\n" : ",\n", stdout);
	first_group = 0;
	printf("{\"device\": %" PRIu64 ", \"size\": %" PRIu64
	       ", \"kept\": {\"inode\": %" PRIu64 ", \"paths\": [",
	       kept->dev, kept->size, kept->ino);
	state = KEPT;
	first_path = 1;
}

void
json_member(const struct fent *f)
{
	progress_hide();
	fputs(state == KEPT ? "]}, \"members\": [" : "]}, ", stdout);
	printf("{\"inode\": %" PRIu64 ", \"paths\": [", f->ino);
	state = MEMBER;
	first_path = 1;
}

void
json_path(const char *path, const char *action, const char *error)
{
	progress_hide();
	if (!first_path)
		fputs(", ", stdout);
	first_path = 0;
	if (state == KEPT) {
		json_string(stdout, path);
		return;
	}
	fputs("{\"path\": ", stdout);
	json_string(stdout, path);
	printf(", \"action\": \"%s\"", action);
	if (error) {
		fputs(", \"error\": ", stdout);
		json_string(stdout, error);
	}
	putchar('}');
}

void
json_group_end(uint64_t linked, uint64_t saved)
{
	progress_hide();
	/* a kept file without members: its duplicate was full (EMLINK) */
	fputs(state == KEPT ? "]}, \"members\": [" : "]}]", stdout);
	if (state == KEPT)
		putchar(']');
	printf(", \"linked\": %" PRIu64 ", \"saved\": %" PRIu64 "}", linked,
	       saved);
	state = NONE;
}

void
json_end(double duration)
{
	progress_hide();
	fputs(first_group ? "],\n" : "\n],\n", stdout);
	key("summary");
	putchar('{');
	printf("\"mode\": \"%s\", ", opts.dry_run ? "dry-run" : "real");
	num_field("files", stats.files);
	num_field("groups", stats.groups);
	num_field("linked", stats.linked);
	num_field("failed", stats.failed);
	num_field("compared", stats.compared);
	num_field("xattrs_compared", stats.xattr_compared);
	num_field("skipped_reflinks", stats.skipped_reflinks);
	num_field("reflinked", stats.reflinked);
	num_field("deduplicated", stats.deduped);
	num_field("deduplicated_bytes", stats.dedupe_bytes);
	num_field("saved", stats.saved);
	num_field("bytes_read", engine_stats.bytes_read);
	num_field("files_read", engine_stats.files_opened);
	printf("\"duration\": %.6f, ", duration);
	bool_field("warnings", had_warning, 1);
	fputs("}\n}\n", stdout);
}
