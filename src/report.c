/*
 * report.c - everything the run prints on stdout.
 *
 * The formats are util-linux hardlink's: the summary block with labels
 * padded to 25 columns, "[DryRun] Linking A to B (-SIZE)" lines, and sizes
 * as its size_to_human_string prints them.  Ours: the closing table of
 * the largest groups (--top, or -v on a terminal), and the group events
 * that feed it and the --json document (json.c).
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "opts.h"
#include "output.h"
#include "util.h"

/*
 * util-linux's "Linking" and "RefLinking" lines; ours for verified
 * deduplication.  how is what was done (or, in a dry run, would be).
 */
void
report_link(const char *master, const char *dup, uint64_t size, enum share how)
{
	static const char *const verb[] = {
		[SHARE_LINK] = "Linking",
		[SHARE_CLONE] = "RefLinking",
		[SHARE_DEDUPE] = "Deduplicating",
	};
	char hs[32];

	if (opts.verbose < 1 || opts.quiet)
		return;
	fprintf(out_stdout(), "%s%s %s to %s (-%s)\n",
		opts.dry_run ? "[DryRun] " : "", verb[how], master, dup,
		human_size(hs, sizeof(hs), size));
}

void
report_listing(uint64_t group, const char *path)
{
	fprintf(out_stdout(), "%016" PRIu64 "\t%s%c", group, path,
		opts.zero ? '\0' : '\n');
}

void
report_summary(const struct run *r)
{
	const struct counters *c = &r->stats;
	struct timespec now;
	char hs[32];
	int64_t sec;
	long usec;
	FILE *o;

	if (opts.quiet)
		return;
	o = out_stdout();
	clock_gettime(CLOCK_MONOTONIC, &now);
	sec = now.tv_sec - r->start.tv_sec;
	usec = (now.tv_nsec - r->start.tv_nsec) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	fprintf(o, "%-25s %s\n", "Mode:", opts.dry_run ? "dry-run" : "real");
	fprintf(o, "%-25s %s\n", "Method:", "memcmp");
	fprintf(o, "%-25s %" PRIu64 "\n", "Files:", c->files);
	fprintf(o, "%-25s %" PRIu64 " files\n", "Linked:", c->linked);
	fprintf(o, "%-25s %" PRIu64 " xattrs\n",
		"Compared:", c->xattr_compared);
	fprintf(o, "%-25s %" PRIu64 " files\n", "Compared:", c->compared);
	if (opts.skip_reflinks)
		fprintf(o, "%-25s %" PRIu64 " files\n",
			"Skipped reflinks:", c->skipped_reflinks);
	if (opts.reflink != REFLINK_NEVER) {
		fprintf(o, "%-25s %" PRIu64 " files\n",
			"Reflinked:", c->reflinked);
		fprintf(o, "%-25s %" PRIu64 " bytes in %" PRIu64 " files\n",
			"Deduplicated:", c->dedupe_bytes, c->deduped);
	}
	fprintf(o, "%-25s %s\n",
		"Saved:", human_size(hs, sizeof(hs), c->saved));
	if (opts.verbose)
		fprintf(o, "%-25s %" PRIu64 " bytes in %" PRIu64 " files\n",
			"Read:", r->engine.bytes_read, r->engine.files_opened);
	if (opts.verbose && opts.cache)
		fprintf(o,
			"%-25s %" PRIu64 " files, %" PRIu64 " bytes spared\n",
			"Cache answered:", c->cache_answered, c->cache_spared);
	fprintf(o, "%-25s %" PRId64 ".%06ld seconds\n", "Duration:", sec, usec);
}

/* ---- duplicate groups: --json and the closing table --------------------- */

/* The table's rows: at most opts.top, best first. */
struct row {
	uint64_t saved, size, linked, seq;
	char *path;
};

/*
 * The group being acted on, and the table so far.  A group's Linked and
 * Saved figures are what the run's counters grew by between its start
 * and its end: the policy counts, the report only subtracts.
 */
struct report {
	int open;
	uint64_t size, linked0, saved0;
	struct pathbuf kept; /* first path of the kept file */
	struct row *rows;
	size_t nrows;
	struct json json;
};

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
table_add(struct report *rp, uint64_t seq, uint64_t linked, uint64_t saved)
{
	struct row r = {saved, rp->size, linked, seq, NULL};
	size_t i = rp->nrows;

	if (!rp->rows)
		rp->rows = xcalloc(opts.top, sizeof(*rp->rows));
	if (rp->nrows == opts.top && row_cmp(&r, &rp->rows[rp->nrows - 1]) >= 0)
		return;
	if (rp->nrows == opts.top)
		free(rp->rows[--rp->nrows].path);
	while (i > 0 && row_cmp(&r, &rp->rows[i - 1]) < 0)
		i--;
	memmove(rp->rows + i + 1, rp->rows + i,
		(rp->nrows - i) * sizeof(*rp->rows));
	r.path = xstrdup(rp->kept.s ? rp->kept.s : "");
	rp->rows[i] = r;
	rp->nrows++;
}

static void
group_close(struct run *r)
{
	struct report *rp = r->report;
	uint64_t linked, saved;

	if (!rp->open)
		return;
	rp->open = 0;
	linked = r->stats.linked - rp->linked0;
	saved = r->stats.saved - rp->saved0;
	if (opts.json)
		json_group_end(&rp->json, linked, saved);
	if (opts.top && !opts.quiet && linked)
		table_add(rp, r->stats.groups, linked, saved);
}

void
report_begin(struct run *r)
{
	r->report = xcalloc(1, sizeof(*r->report));
	if (opts.json)
		json_begin(&r->report->json);
}

void
report_group(struct run *r, const struct fent *kept, const char *split)
{
	struct report *rp = r->report;

	group_close(r);
	r->stats.groups++;
	rp->open = 1;
	rp->size = kept->size;
	rp->linked0 = r->stats.linked;
	rp->saved0 = r->stats.saved;
	if (rp->kept.s)
		rp->kept.s[0] = '\0';
	if (opts.json)
		json_group(&rp->json, kept, split);
}

void
report_member(struct run *r, const struct fent *f)
{
	if (opts.json)
		json_member(&r->report->json, f);
}

void
report_path(struct run *r, const char *path, enum outcome what,
	    const char *error)
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
	struct report *rp = r->report;

	/* the first path names the group */
	if (what == OUT_KEPT && opts.top && !(rp->kept.s && rp->kept.s[0]))
		pathbuf_printf(&rp->kept, "%s", path);
	if (!opts.json)
		return;
	if (what == OUT_UNTRIED)
		error = "not attempted: an earlier path of this file failed";
	else if (what != OUT_FAILED)
		error = NULL;
	json_path(&rp->json, path, actions[what][!!opts.dry_run], error);
}

/* The closing table: the largest groups by bytes saved. */
static void
report_table(struct report *rp)
{
	char hs[32], hz[32];
	int w = 2; /* the rank's width: 2 up to 99 rows */
	FILE *o = out_stdout();

	for (size_t n = rp->nrows; n >= 100; n /= 10)
		w++;
	if (!rp->nrows)
		return;
	fprintf(o, "\nLargest duplicate groups (by bytes saved):\n");
	fprintf(o, "%*s  %11s  %11s  %6s  %s\n", w, "#", "Saved", "Size",
		"Linked", "Kept file");
	for (size_t i = 0; i < rp->nrows; i++) {
		fprintf(o, "%*zu  %11s  %11s  %6" PRIu64 "  %s\n", w, i + 1,
			human_size(hs, sizeof(hs), rp->rows[i].saved),
			human_size(hz, sizeof(hz), rp->rows[i].size),
			rp->rows[i].linked, rp->rows[i].path);
	}
}

void
report_free(struct run *r)
{
	struct report *rp = r->report;

	if (!rp)
		return;
	for (size_t i = 0; i < rp->nrows; i++)
		free(rp->rows[i].path);
	free(rp->rows);
	pathbuf_release(&rp->kept);
	free(rp);
	r->report = NULL;
}

/* The end of the run: the summary and the table, or the JSON's end. */
void
report_end(struct run *r)
{
	group_close(r);
	if (opts.json) {
		json_end(&r->report->json, r, elapsed_since(&r->start),
			 out_exit_status());
	} else {
		report_summary(r);
		if (!opts.quiet)
			report_table(r->report);
	}
	report_free(r);
}
