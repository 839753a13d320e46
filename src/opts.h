/*
 * opts.h - the command line, parsed once by opts_parse and read-only
 * afterwards (OpenBSD style: one global for what the user asked).
 */
#ifndef HL_OPTS_H
#define HL_OPTS_H

#include <stdint.h>

#include "util.h"

enum reflink_mode { REFLINK_NEVER, REFLINK_AUTO, REFLINK_ALWAYS };

struct options {
	int dry_run, quiet, verbose, list, zero;
	int content, ign_mode, ign_owner, ign_time;
	int respect_name, respect_dir, respect_xattrs;
	int maximize, minimize, keep_oldest, prio_trees;
	int mount, real_size, skip_reflinks;
	enum reflink_mode reflink;
	uintmax_t min_size, max_size, io_size, cache_size;
	unsigned threads; /* -j; 0: not given (one per online CPU) */
	const char *method;
	int json;		/* --json: one JSON document on stdout */
	int progress;		/* -1: when stderr is a terminal, 0 off, 1 on */
	unsigned top;		/* rows of the closing table, 0: none */
	uint32_t max_links;	/* --max-links: links per inode, 0: no limit */
	int cache;		/* --cache: use the content cache */
	const char *cache_file; /* --cache=FILE; NULL: the default */
	struct regex_list include, exclude, exclude_subtree;
	char **operands;
	int noperands;
};

extern struct options opts;

/* Fills opts from the command line; a usage error is fatal (exit 1). */
void opts_parse(int argc, char **argv);

/* size.c: 0, or -EINVAL / -ERANGE with *out untouched */
int parse_size(const char *s, uintmax_t *out);

#endif /* HL_OPTS_H */
