/*
 * report.h - what the run prints on stdout: the summary, -v lines, the
 * -l listing, and the duplicate groups that feed --json and the closing
 * table.  Main thread only.
 *
 * The group events, per content class:
 *
 *	report_group(r, kept file's first path record);
 *	report_path(r, path, OUT_KEPT, NULL) for each path of the kept file;
 *	for each other member:
 *		report_member(r, its first path record);
 *		report_path(r, path, outcome, error) for each of its paths;
 *
 * A group ends when the next begins or at report_end().
 */
#ifndef HL_REPORT_H
#define HL_REPORT_H

#include <stdint.h>

#include "run.h"

enum outcome {
	OUT_KEPT,    /* a path of the file every other member links to */
	OUT_LINKED,  /* replaced by a hard link (-n: would be) */
	OUT_CLONED,  /* replaced by a clone (-n: would be) */
	OUT_DEDUPED, /* its own inode now shares the kept file's extents */
	OUT_SHARED,  /* left alone: already shares all extents */
	OUT_FAILED,  /* left alone: error says why */
	OUT_UNTRIED, /* left alone: an earlier path of its inode failed */
};

/* Sets up r->report (and starts the --json document). */
void report_begin(struct run *r);
/* split: why the previous group's kept file keeps no more (or NULL). */
void report_group(struct run *r, const struct fent *kept, const char *split);
void report_member(struct run *r, const struct fent *f);
void report_path(struct run *r, const char *path, enum outcome what,
		 const char *error);
/* The summary and the table, or the end of the JSON; frees r->report. */
void report_end(struct run *r);
/* Frees r->report without printing (-l). */
void report_free(struct run *r);

/* The summary block (also on SIGUSR1). */
void report_summary(const struct run *r);
/* util-linux's "Linking" line (with -v), naming what was done. */
void report_link(const char *master, const char *dup, uint64_t size,
		 enum share how);
/* A -l line: group number, TAB, path. */
void report_listing(uint64_t group, const char *path);

#endif /* HL_REPORT_H */
