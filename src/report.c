/*
 * report.c - everything the run prints on stdout.
 *
 * The formats are util-linux hardlink's: the summary block with labels
 * padded to 25 columns, "[DryRun] Linking A to B (-SIZE)" lines, and sizes
 * as its size_to_human_string prints them.
 */
#include "hardlink.h"

#include <inttypes.h>
#include <stdarg.h>
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
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void
report_link(const char *master, const char *dup, uint64_t size, int reflink)
{
	char hs[32];

	if (opts.verbose < 1 || opts.quiet)
		return;
	printf("%s%sLinking %s to %s (-%s)\n", opts.dry_run ? "[DryRun] " : "",
	       reflink ? "Ref" : "", master, dup,
	       human_size(hs, sizeof(hs), size));
}

void
report_listing(uint64_t group, const char *path)
{
	printf("%016" PRIu64 "\t%s%c", group, path, opts.zero ? '\0' : '\n');
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
	printf("%-25s %s\n", "Saved:",
	       human_size(hs, sizeof(hs), stats.saved));
	if (opts.verbose)
		printf("%-25s %" PRIu64 " bytes in %" PRIu64 " files\n",
		       "Read:", engine_stats.bytes_read,
		       engine_stats.files_opened);
	printf("%-25s %" PRId64 ".%06ld seconds\n", "Duration:", sec, usec);
}
