/*
 * report.c - everything the run prints on stdout.
 *
 * The formats are util-linux hardlink's: the summary block with labels
 * padded to 25 columns, "[DryRun] Linking A to B (-SIZE)" lines, and sizes
 * as its size_to_human_string prints them.  Ours: the closing table of
 * the largest groups (--top, or -v on a terminal), and the group events
 * that feed it and the --json document (json.c).
 */
#include "hardlink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hl_stats engine_stats;
struct timespec start_time;

/*
 * util-linux's format: the largest binary unit not above the value, the
 * fraction truncated to three decimals then rounded to two (half up), a
 * carry staying in the same unit ("1024 KiB"), trailing zeros dropped.
 */
const char *
human_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	int exp = 0;
	uint64_t dec, frac;

	while (exp < 6 && bytes >= (uint64_t)1 << (10 * (exp + 1)))
		exp++;
	if (!exp) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	dec = bytes >> (10 * exp);
	frac = bytes & (((uint64_t)1 << (10 * exp)) - 1);
	frac = (uint64_t)(((unsigned __int128)frac * 1000) >> (10 * exp));
	frac = (frac + 5) / 10;
	if (frac == 100) {
		dec++;
		frac = 0;
	}
	if (!frac)
		snprintf(buf, len, "%" PRIu64 " %ciB", dec, units[exp]);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %ciB", dec,
			 frac / 10, units[exp]);
	else
		snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 " %ciB", dec, frac,
			 units[exp]);
	return buf;
}

void
verbose(int level, const char *fmt, ...)
{
	va_list ap;

	if (opts.verbose < level || opts.quiet)
		return;
	if (msg_hook) {
		char *text;
		int n;

		va_start(ap, fmt);
		n = vasprintf(&text, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal("cannot allocate a message");
		msg_hook(msg_hook_arg, MSG_OUT, text);
		free(text);
		return;
	}
	progress_hide();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * util-linux's "Linking" and "RefLinking" lines; ours for verified
 * deduplication.  how is what was done (or, in a dry run, would be).
 */
void
report_link(const char *master, const char *dup, uint64_t size,
	    enum share how)
{
	static const char *const verb[] = {
		[SHARE_LINK] = "Linking",
		[SHARE_CLONE] = "RefLinking",
		[SHARE_DEDUPE] = "Deduplicating",
	};
	char hs[32];

	if (opts.verbose < 1 || opts.quiet)
		return;
	progress_hide();
	printf("%s%s %s to %s (-%s)\n", opts.dry_run ? "[DryRun] " : "",
	       verb[how], master, dup, human_size(hs, sizeof(hs), size));
}

void
report_listing(uint64_t group, const char *path)
{
	progress_hide();
	printf("%016" PRIu64 "\t%s%c", group, path, opts.zero ? '\0' : '\n');
}

/* Seconds since t, on the monotonic clock. */
double
elapsed_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void
report_summary(void)
{
	struct timespec now;
	char hs[32];
	int64_t sec;
	long usec;

	if (opts.quiet)
		return;
	progress_hide();
	clock_gettime(CLOCK_MONOTONIC, &now);
	sec = now.tv_sec - start_time.tv_sec;
	usec = (now.tv_nsec - start_time.tv_nsec) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	printf("%-25s %s\n", "Mode:", opts.dry_run ? "dry-run" : "real");
	printf("%-25s %s\n", "Method:", "memcmp");
	printf("%-25s %" PRIu64 "\n", "Files:", stats.files);
	printf("%-25s %" PRIu64 " files\n", "Linked:", stats.linked);
	printf("%-25s %" PRIu64 " xattrs\n", "Compared:",
	       stats.xattr_compared);
	printf("%-25s %" PRIu64 " files\n", "Compared:", stats.compared);
	if (opts.skip_reflinks)
		printf("%-25s %" PRIu64 " files\n", "Skipped reflinks:",
		       stats.skipped_reflinks);
	if (opts.reflink != REFLINK_NEVER) {
		printf("%-25s %" PRIu64 " files\n", "Reflinked:",
		       stats.reflinked);
		printf("%-25s %" PRIu64 " bytes in %" PRIu64 " files\n",
		       "Deduplicated:", stats.dedupe_bytes, stats.deduped);
	}
	printf("%-25s %s\n", "Saved:",
	       human_size(hs, sizeof(hs), stats.saved));
	if (opts.verbose)
		printf("%-25s %" PRIu64 " bytes in %" PRIu64 " files\n",
		       "Read:", engine_stats.bytes_read,
		       engine_stats.files_opened);
	printf("%-25s %" PRId64 ".%06ld seconds\n", "Duration:", sec, usec);
}

/* ---- duplicate groups: --json and the closing table --------------------- */

/*
 * The group being acted on.  Its Linked and Saved figures are what the
 * run's counters grew by between its start and its end: the policy
 * counts, the report only subtracts.
 */
static struct {
	int open;
	uint64_t size, linked0, saved0;
	unsigned long diag0;	/* diagnostics before the current member */
	struct pathbuf kept;	/* first path of the kept file */
} cur;

/* The table's rows: at most opts.top, best first. */
struct row {
	uint64_t saved, size, linked, seq;
	char *path;
};

static struct row *rows;
static size_t nrows;

/* Negative when a ranks above b: more saved, bigger files, earlier. */
static int
row_cmp(const struct row *a, const struct row *b)
{
	if (a->saved != b->saved)
		return a->saved > b->saved ? -1 : 1;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Keeps the opts.top best groups by insertion: O(top) per group. */
static void
table_add(uint64_t linked, uint64_t saved)
{
	struct row r = {saved, cur.size, linked, stats.groups, NULL};
	size_t i = nrows;

	if (!rows)
		rows = xcalloc(opts.top, sizeof(*rows));
	if (nrows == opts.top && row_cmp(&r, &rows[nrows - 1]) >= 0)
		return;
	if (nrows == opts.top)
		free(rows[--nrows].path);
	while (i > 0 && row_cmp(&r, &rows[i - 1]) < 0)
		i--;
	memmove(rows + i + 1, rows + i, (nrows - i) * sizeof(*rows));
	r.path = xstrdup(cur.kept.s ? cur.kept.s : "");
	rows[i] = r;
	nrows++;
}

static void
group_close(void)
{
	uint64_t linked, saved;

	if (!cur.open)
		return;
	cur.open = 0;
	linked = stats.linked - cur.linked0;
	saved = stats.saved - cur.saved0;
	if (opts.json)
		json_group_end(linked, saved);
	if (opts.top && !opts.quiet && linked)
		table_add(linked, saved);
}

void
report_begin(void)
{
	if (opts.json)
		json_begin();
}

void
report_group(const struct fent *kept)
{
	group_close();
	stats.groups++;
	cur.open = 1;
	cur.size = kept->size;
	cur.linked0 = stats.linked;
	cur.saved0 = stats.saved;
	cur.diag0 = diag_count;
	if (cur.kept.s)
		cur.kept.s[0] = '\0';
	if (opts.json)
		json_group(kept);
}

void
report_member(const struct fent *f)
{
	cur.diag0 = diag_count;
	if (opts.json)
		json_member(f);
}

static void
keep_path(const char *path)
{
	size_t len = strlen(path);

	if (cur.kept.s && cur.kept.s[0])
		return;		/* the first path names the group */
	if (len + 1 > cur.kept.cap) {
		cur.kept.cap = len + 1;
		cur.kept.s = xrealloc(cur.kept.s, cur.kept.cap);
	}
	memcpy(cur.kept.s, path, len + 1);
	cur.kept.len = len;
}

/*
 * The reason a path was left alone: the diagnostic printed since its
 * member began (replace.c names the file and the cause), or the errno.
 */
static const char *
failure_text(int err)
{
	if (diag_count != cur.diag0 && *diag_last())
		return diag_last();
	return strerror(err < 0 ? -err : err);
}

void
report_path(const char *path, enum outcome what, int err)
{
	static const char *const actions[][2] = {
		[OUT_KEPT] = {"kept", "kept"},
		[OUT_LINKED] = {"linked", "would link"},
		[OUT_CLONED] = {"reflinked", "would reflink"},
		[OUT_DEDUPED] = {"deduplicated", "would deduplicate"},
		[OUT_SHARED] = {"already reflinked", "already reflinked"},
		[OUT_FAILED] = {"skipped", "skipped"},
		[OUT_UNTRIED] = {"skipped", "skipped"},
	};
	const char *error = NULL;

	if (what == OUT_KEPT && opts.top)
		keep_path(path);
	if (!opts.json)
		return;
	if (what == OUT_FAILED)
		error = failure_text(err);
	else if (what == OUT_UNTRIED)
		error = "not attempted: an earlier path of this file failed";
	json_path(path, actions[what][!!opts.dry_run], error);
}

/* The closing table: the largest groups by bytes saved. */
static void
report_table(void)
{
	char hs[32], hz[32];
	int w = 2;	/* the rank's width: 2 up to 99 rows */

	for (size_t n = nrows; n >= 100; n /= 10)
		w++;

	if (!nrows)
		return;
	printf("\nLargest duplicate groups (by bytes saved):\n");
	printf("%*s  %11s  %11s  %6s  %s\n", w, "#", "Saved", "Size",
	       "Linked", "Kept file");
	for (size_t i = 0; i < nrows; i++) {
		printf("%*zu  %11s  %11s  %6" PRIu64 "  %s\n", w, i + 1,
		       human_size(hs, sizeof(hs), rows[i].saved),
		       human_size(hz, sizeof(hz), rows[i].size),
		       rows[i].linked, rows[i].path);
		free(rows[i].path);
	}
	free(rows);
	rows = NULL;
	nrows = 0;
}

/* The end of the run: the summary and the table, or the JSON's end. */
void
report_end(void)
{
	group_close();
	pathbuf_release(&cur.kept);
	if (opts.json) {
		json_end(elapsed_since(&start_time));
		return;
	}
	report_summary();
	if (!opts.quiet)
		report_table();
}
