/*
 * opts.c - command line and size parsing.
 *
 * The options, their letters, defaults and error messages are util-linux
 * hardlink's (2.41+), so scripts written for it keep working.
 */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hlcore.h"
#include "output.h"
#include "util.h"

struct options opts = {
	.min_size = 1,
	.method = "memcmp",
	.progress = -1,
};

#define TOP_DEFAULT 10

enum {
	OPT_REFLINK = CHAR_MAX + 1,
	OPT_SKIP_REFLINKS,
	OPT_MOUNT,
	OPT_EXCLUDE_SUBTREE,
	OPT_REAL_SIZE,
	OPT_JSON,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_TOP,
	OPT_MAX_LINKS,
	OPT_CACHE,
	OPT_NO_CACHE,
};

static const struct option longopts[] = {
	{"cache", optional_argument, NULL, OPT_CACHE},
	{"content", no_argument, NULL, 'c'},
	{"io-size", required_argument, NULL, 'b'},
	{"json", no_argument, NULL, OPT_JSON},
	{"respect-dir", no_argument, NULL, 'd'},
	{"respect-name", no_argument, NULL, 'f'},
	{"prioritize-trees", no_argument, NULL, 'F'},
	{"include", required_argument, NULL, 'i'},
	{"threads", required_argument, NULL, 'j'},
	{"list-duplicates", no_argument, NULL, 'l'},
	{"max-links", required_argument, NULL, OPT_MAX_LINKS},
	{"maximize", no_argument, NULL, 'm'},
	{"minimize", no_argument, NULL, 'M'},
	{"mount", no_argument, NULL, OPT_MOUNT},
	{"dry-run", no_argument, NULL, 'n'},
	{"no-cache", no_argument, NULL, OPT_NO_CACHE},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"ignore-owner", no_argument, NULL, 'o'},
	{"keep-oldest", no_argument, NULL, 'O'},
	{"ignore-mode", no_argument, NULL, 'p'},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"quiet", no_argument, NULL, 'q'},
	{"cache-size", required_argument, NULL, 'r'},
	{"real-size", no_argument, NULL, OPT_REAL_SIZE},
	{"reflink", optional_argument, NULL, OPT_REFLINK},
	{"skip-reflinks", no_argument, NULL, OPT_SKIP_REFLINKS},
	{"minimum-size", required_argument, NULL, 's'},
	{"maximum-size", required_argument, NULL, 'S'},
	{"ignore-time", no_argument, NULL, 't'},
	{"top", optional_argument, NULL, OPT_TOP},
	{"verbose", no_argument, NULL, 'v'},
	{"exclude", required_argument, NULL, 'x'},
	{"exclude-subtree", required_argument, NULL, OPT_EXCLUDE_SUBTREE},
	{"respect-xattrs", no_argument, NULL, 'X'},
	{"method", required_argument, NULL, 'y'},
	{"zero", no_argument, NULL, 'z'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static const char *const methods[] = {
	"memcmp", "sha256", "sha1", "crc32", "crc32c", NULL,
};

static void
usage(void)
{
	printf("\nUsage:\n %s [options] <directory>|<file> ...\n\n",
	       program_invocation_short_name);
	fputs("Consolidate duplicate files using hardlinks.\n\n"
	      "Options:\n"
	      " -c, --content              compare only file contents, "
	      "same as -pot\n"
	      "     --cache[=<file>]       remember digests of what was read,"
	      " to tell files\n"
	      "                              apart unread next time "
	      "(--no-cache: don't)\n"
	      " -b, --io-size <size>       largest read from a file "
	      "(default 1 MiB)\n"
	      " -d, --respect-dir          directory names have to be "
	      "identical\n"
	      " -f, --respect-name         filenames have to be identical\n"
	      " -F, --prioritize-trees     files found in the earliest "
	      "specified top-level\n"
	      "                              directory have higher priority"
	      " (lower precedence\n"
	      "                              than minimize/maximize)\n"
	      " -i, --include <regex>      regular expression to include "
	      "files\n"
	      " -j, --threads <n>          threads reading files "
	      "(default: online CPUs, at least 8)\n"
	      "     --json                 print one JSON document: options, "
	      "groups, summary\n"
	      " -l, --list-duplicates      print every group of duplicate "
	      "files\n"
	      "     --max-links <n>        give no file more than n links "
	      "(the next\n"
	      "                              duplicate is kept instead)\n"
	      " -m, --maximize             maximize the hardlink count, "
	      "remove the file with\n"
	      "                              lowest hardlink count\n"
	      " -M, --minimize             reverse the meaning of -m\n"
	      "     --mount                stay within the same filesystem\n"
	      " -n, --dry-run              don't actually link anything\n"
	      "     --no-progress          never show the progress line\n"
	      " -o, --ignore-owner         ignore owner changes\n"
	      " -O, --keep-oldest          keep the oldest file of multiple "
	      "equal files\n"
	      "                              (lower precedence than "
	      "minimize/maximize)\n"
	      " -p, --ignore-mode          ignore changes of file mode\n"
	      "     --progress             show the progress line on stderr "
	      "even when it is\n"
	      "                              not a terminal\n"
	      " -q, --quiet                quiet mode - don't print "
	      "anything\n"
	      " -r, --cache-size <size>    memory limit for file content "
	      "held at once\n"
	      "     --real-size            compare -s and -S with allocated "
	      "size\n"
	      "     --reflink[=<when>]     create clone/CoW copies (auto, "
	      "always, never)\n"
	      "     --skip-reflinks        skip already cloned files "
	      "(enabled on --reflink)\n"
	      " -s, --minimum-size <size>  minimum size for files.\n"
	      " -S, --maximum-size <size>  maximum size for files.\n"
	      " -t, --ignore-time          ignore timestamps (when testing "
	      "for equality)\n"
	      "     --top[=<n>]            end with the n largest groups "
	      "(default 10; -v on a\n"
	      "                              terminal shows them)\n"
	      " -v, --verbose              verbose output (repeat for more "
	      "verbosity)\n"
	      " -x, --exclude <regex>      regular expression to exclude "
	      "files\n"
	      "     --exclude-subtree <regex>  regular expression to exclude "
	      "directories\n"
	      " -X, --respect-xattrs       respect extended attributes\n"
	      " -y, --method <name>        accepted for compatibility "
	      "(memcmp, sha256, sha1,\n"
	      "                              crc32, crc32c); bytes are "
	      "always compared\n"
	      " -z, --zero                 delimit output with NULs instead "
	      "of newlines\n"
	      "\n"
	      " -h, --help                 display this help\n"
	      " -V, --version              display version\n"
	      "\nFor more details see hardlink(1).\n",
	      stdout);
	exit(0);
}

static _Noreturn void
try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n",
		program_invocation_short_name);
	exit(1);
}

static uintmax_t
size_arg(const char *arg, const char *what)
{
	uintmax_t v;
	int rc = parse_size(arg, &v);

	if (rc < 0)
		fatal("failed to parse %s: '%s': %s", what, arg, strerror(-rc));
	return v;
}

/*
 * A count in [min, max], in decimal: anything else is a usage error
 * "invalid number of WHAT: 'ARG' (MIN to MAX)".
 */
static unsigned long long
count_arg(const char *arg, const char *what, unsigned long long min,
	  unsigned long long max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || n < min || n > max)
		fatal("invalid number of %s: '%s' (%llu to %llu)", what, arg,
		      min, max);
	return n;
}

static void
regex_add(struct regex_list *l, const char *pattern)
{
	int rc;

	l->re = xrealloc(l->re, (l->n + 1) * sizeof(*l->re));
	l->pattern = xrealloc(l->pattern, (l->n + 1) * sizeof(*l->pattern));
	l->pattern[l->n] = pattern;
	rc = regcomp(&l->re[l->n], pattern, REG_NOSUB | REG_EXTENDED);
	if (rc) {
		char buf[256];

		regerror(rc, &l->re[l->n], buf, sizeof(buf));
		fatal("could not compile regular expression %s: %s", pattern,
		      buf);
	}
	l->n++;
}

static void
set_method(const char *name)
{
	for (size_t i = 0; methods[i]; i++) {
		if (strcmp(name, methods[i]) == 0) {
			opts.method = methods[i];
			return;
		}
	}
	fatal("unsupported method: %s", name);
}

static void
set_reflink(const char *arg)
{
	if (!arg || strcmp(arg, "auto") == 0)
		opts.reflink = REFLINK_AUTO;
	else if (strcmp(arg, "always") == 0)
		opts.reflink = REFLINK_ALWAYS;
	else if (strcmp(arg, "never") == 0)
		opts.reflink = REFLINK_NEVER;
	else
		fatal("unsupported reflink mode: %s", arg);
	if (opts.reflink != REFLINK_NEVER)
		opts.skip_reflinks = 1;
}

static void
version(void)
{
	printf("%s %s (features: reflink, ftw_skip_subtree; "
	       "compatible with util-linux 2.41)\n",
	       program_invocation_short_name, HL_VERSION_STRING);
	exit(0);
}

static int top_set; /* --top given: the table whatever stdout is */

static void
opt_one(int c, const char *arg)
{
	switch (c) {
	case 'c': opts.content = 1; break;
	case 'b': opts.io_size = size_arg(arg, "I/O size"); break;
	case 'd': opts.respect_dir = 1; break;
	case 'f': opts.respect_name = 1; break;
	case 'F': opts.prio_trees = 1; break;
	case 'i': regex_add(&opts.include, arg); break;
	case 'j':
		opts.threads = (unsigned)count_arg(arg, "threads", 1, 64);
		break;
	case 'l': opts.list = 1; break;
	case 'm': opts.maximize = 1; break;
	case 'M': opts.minimize = 1; break;
	case OPT_MOUNT: opts.mount = 1; break;
	case 'n': opts.dry_run = 1; break;
	case 'o': opts.ign_owner = 1; break;
	case 'O': opts.keep_oldest = 1; break;
	case 'p': opts.ign_mode = 1; break;
	case 'q': opts.quiet = 1; break;
	case 'r': opts.cache_size = size_arg(arg, "cache size"); break;
	case OPT_REAL_SIZE: opts.real_size = 1; break;
	case OPT_REFLINK: set_reflink(arg); break;
	case OPT_SKIP_REFLINKS: opts.skip_reflinks = 1; break;
	case 's': opts.min_size = size_arg(arg, "minimum size"); break;
	case 'S': opts.max_size = size_arg(arg, "maximum size"); break;
	case 't': opts.ign_time = 1; break;
	case 'v': opts.verbose++; break;
	case 'x': regex_add(&opts.exclude, arg); break;
	case OPT_EXCLUDE_SUBTREE: regex_add(&opts.exclude_subtree, arg); break;
	case 'X': opts.respect_xattrs = 1; break;
	case 'y': set_method(arg); break;
	case 'z': opts.zero = 1; break;
	case OPT_JSON: opts.json = 1; break;
	case OPT_PROGRESS: opts.progress = 1; break;
	case OPT_NO_PROGRESS: opts.progress = 0; break;
	case OPT_TOP:
		top_set = 1;
		opts.top = arg ? (unsigned)count_arg(arg, "groups", 0, 100000)
			       : TOP_DEFAULT;
		break;
	case OPT_MAX_LINKS:
		opts.max_links = (uint32_t)count_arg(arg, "links", 1,
						     UINT32_MAX);
		break;
	case OPT_CACHE:
		if (arg && !*arg)
			fatal("empty cache file name");
		opts.cache = 1;
		opts.cache_file = arg;
		break;
	case OPT_NO_CACHE: opts.cache = 0; break;
	case 'h': usage(); break;
	case 'V': version(); break;
	default: try_help();
	}
}

void
opts_parse(int argc, char **argv)
{
	int c;

	/* getopt names the program after argv[0]: make it the short name */
	argv[0] = program_invocation_short_name;
	while ((c = getopt_long(argc, argv,
				"cb:dfFi:j:lmMnoOpqr:s:S:tvx:Xy:zhV", longopts,
				NULL)) != -1)
		opt_one(c, optarg);

	/* -c wins wherever it stands, as in util-linux 2.39+ */
	if (opts.content) {
		opts.ign_mode = opts.ign_owner = opts.ign_time = 1;
		opts.respect_name = opts.respect_dir = 0;
		opts.respect_xattrs = 0;
	}
	if (opts.list) {
		opts.dry_run = 1;
		opts.quiet = 1;
		opts.verbose = 0;
	}
	if (opts.quiet && opts.verbose)
		fatal("options --quiet and --verbose cannot be combined");
	if (opts.json && opts.list)
		fatal("options --list-duplicates and --json cannot be combined");
	/* the table is for people: with -v only on a terminal */
	if (!top_set && opts.verbose && isatty(STDOUT_FILENO))
		opts.top = TOP_DEFAULT;
	/* --json owns stdout: no summary, no -v lines, no table */
	if (opts.json)
		opts.quiet = 1;
	if (optind == argc)
		fatal("no directory or file specified");
	opts.operands = argv + optind;
	opts.noperands = argc - optind;
}
