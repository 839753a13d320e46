/*
 * main.c - hardlink-mpi: one hardlink run over the ranks of an MPI job.
 *
 *	mpirun -np N hardlink-mpi [options] DIR...
 *
 * Every rank parses the same command line; rank 0 resolves the operands
 * and tells the others.  Then, composed from hardlink's stages (run.h,
 * hlmpi.h): the walk shared by work stealing (dwalk.c), the records
 * shuffled to the owners of their (device, size) (shuffle.c), and on
 * each rank for its own size groups: leftovers, plan, classify, act,
 * with its stdout gathered to rank 0 in one process's order (gather.c).
 * The counters are summed on rank 0, which prints the summary; the exit
 * status is the worst rank's, on every rank.
 *
 * Refused (exit 1, "hardlink-mpi: OPTION is not supported"): --json,
 * --top and -vv or more (their output is made per file or per group as
 * one process goes, in an order this program does not reproduce), and
 * --cache (one SQLite file written by every rank at once).
 * Ours: --mpi-stats=FILE, one line per rank of what it did;
 * --mpi-split=N, the files of a size group that make it split over the
 * ranks (split.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../act.h"
#include "../classify.h"
#include "../cleanup.h"
#include "../group.h"
#include "../leftover.h"
#include "../opts.h"
#include "../output.h"
#include "../replace.h"
#include "../report.h"
#include "../sig.h"
#include "hlmpi.h"

/* --mpi-split by default: files of one size group to split it */
#define SPLIT_MIN 10000

/* As hardlink's: on SIGINT, SIGTERM or SIGHUP, clean up and die by it. */
static void
poll_run(struct run *r)
{
	int sig;

	(void)r;
	out_tick();
	if ((sig = sig_pending()))
		die_by_signal(sig);
}

static int
engine_poll(void *arg)
{
	(void)arg;
	return sig_pending() != 0;
}

/*
 * The descriptor limit raised to the hard limit and split as hardlink
 * does, more simply: a quarter for the engine, half for the directories
 * the walk keeps open, half of the engine's share spare for replace.c.
 */
static unsigned
open_budget(unsigned *spare)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max < (1u << 20) ? rl.rlim_max : 1u << 20;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			n = rl.rlim_cur;
	}
	if (n > (1u << 20))
		n = 1u << 20;
	if (n < 256)
		n = 256;
	dnode_fd_budget((unsigned)(n / 2));
	*spare = (unsigned)(n / 8);
	return (unsigned)(n / 4);
}

/* -j by default: the online CPUs shared by the ranks of this node. */
static unsigned
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	MPI_Comm local;
	int nl = 1;

	MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0,
			    MPI_INFO_NULL, &local);
	MPI_Comm_size(local, &nl);
	MPI_Comm_free(&local);
	n = n > nl ? n / nl : 1;
	return n > 64 ? 64 : (unsigned)n;
}

static _Noreturn void
refuse(struct mpictx *m, const char *what)
{
	if (!m->rank)
		fprintf(stderr, "hardlink-mpi: %s is not supported\n", what);
	MPI_Finalize();
	exit(1);
}

static uint64_t
split_arg(struct mpictx *m, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 2) {
		if (!m->rank)
			fprintf(stderr,
				"hardlink-mpi: --mpi-split: not a number of "
				"files (2 or more): %s\n",
				s);
		MPI_Finalize();
		exit(1);
	}
	return v;
}

/*
 * Takes our own options out of argv, refuses what we cannot do, and
 * parses the rest as hardlink does; only rank 0 says anything.
 */
static const char *
parse(struct mpictx *m, int argc, char **argv)
{
	const char *stats = NULL;
	int n = 1, i, saved[2] = {-1, -1};

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--mpi-stats=", 12))
			stats = argv[i] + 12;
		else if (!strncmp(argv[i], "--mpi-split=", 12))
			m->split_min = split_arg(m, argv[i] + 12);
		else if (!strncmp(argv[i], "--top", 5))
			refuse(m, "--top");
		else if (!strcmp(argv[i], "--"))
			break;
		else
			argv[n++] = argv[i];
	}
	while (i < argc)
		argv[n++] = argv[i++];
	argv[n] = NULL;
	if (m->rank) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		for (int fd = 1; fd <= 2 && null >= 0; fd++) {
			saved[fd - 1] = dup(fd);
			dup2(null, fd);
		}
		if (null >= 0)
			close(null);
	}
	opts_parse(n, argv);
	for (int fd = 1; fd <= 2; fd++) {
		if (saved[fd - 1] >= 0) {
			dup2(saved[fd - 1], fd);
			close(saved[fd - 1]);
		}
	}
	if (opts.json)
		refuse(m, "--json");
	if (opts.verbose >= 2)
		refuse(m, "-vv");
	/* each rank would write its own share into one SQLite file */
	if (opts.cache)
		refuse(m, "--cache");
	/* the table of -v on a terminal would hold rank 0's groups only */
	opts.top = 0;
	opts.progress = 0;
	return stats;
}

/*
 * Rank 0 resolves the operands; every rank gets their roots: the
 * directory itself, or a file's directory (the file is walked by rank 0,
 * its record names that directory as the root), or nothing (walk_operand
 * on rank 0 says why).
 */
static void
operands(struct mpictx *m)
{
	char *buf = NULL;
	int len = 0;

	m->nops = opts.noperands;
	m->ops = xcalloc((size_t)m->nops + 1, sizeof(*m->ops));
	if (!m->rank) {
		size_t l = 0;

		for (int i = 0; i < m->nops; i++) {
			char *rp = realpath(opts.operands[i], NULL);
			struct stat st;
			uint64_t hdr[3] = {0, 0, 0}; /* dev, is_dir, path len */
			size_t pl = 0;

			if (rp && lstat(rp, &st) == 0 &&
			    (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
				char *slash = strrchr(rp, '/');

				hdr[0] = (uint64_t)st.st_dev;
				hdr[1] = S_ISDIR(st.st_mode);
				if (!hdr[1]) /* the file's directory */
					slash == rp ? (void)(rp[1] = '\0')
						    : (void)(*slash = '\0');
				pl = strlen(rp) + 1;
			}
			hdr[2] = pl;
			buf = xrealloc(buf, l + sizeof(hdr) + pl);
			memcpy(buf + l, hdr, sizeof(hdr));
			if (pl)
				memcpy(buf + l + sizeof(hdr), rp, pl);
			l += sizeof(hdr) + pl;
			free(rp);
		}
		len = (int)l;
	}
	MPI_Bcast(&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (m->rank)
		buf = xmalloc(len ? (size_t)len : 1);
	MPI_Bcast(buf, len, MPI_BYTE, 0, MPI_COMM_WORLD);
	for (int i = 0, off = 0; i < m->nops; i++) {
		uint64_t hdr[3];

		memcpy(hdr, buf + off, sizeof(hdr));
		off += (int)sizeof(hdr);
		m->ops[i].dev = hdr[0];
		m->ops[i].is_dir = (int)hdr[1];
		if (hdr[2]) {
			m->ops[i].root = xstrdup(buf + off);
			m->ops[i].d = dnode_new(NULL, m->ops[i].root,
						hdr[2] - 1, (uint32_t)i);
		}
		off += (int)hdr[2];
	}
	free(buf);
}

struct marked {
	struct mpictx *m;
	struct actor *act;
	struct ent **sub; /* one class's members */
	size_t *zero;	  /* their classes: all the first */
	size_t cap;
};

/*
 * A size group split over the ranks: each content class acted on alone
 * (act_run treats the classes of a run one by one, in the order of
 * their first members), its output marked with its kept file.
 */
static void
act_classes(struct marked *k, const struct members *mb, const size_t *cls)
{
	if (mb->n > k->cap) {
		k->cap = mb->n;
		k->sub = xrealloc(k->sub, k->cap * sizeof(*k->sub));
		k->zero = xrealloc(k->zero, k->cap * sizeof(*k->zero));
	}
	for (size_t i = 0; i < mb->n; i++) {
		struct members one = {k->sub, 0};

		if (cls[i] != i)
			continue;
		for (size_t j = i; j < mb->n; j++) {
			if (cls[j] == i) {
				k->zero[one.n] = 0;
				k->sub[one.n++] = mb->m[j];
			}
		}
		if (one.n < 2)
			continue;
		gather_mark_class(mb->m[i]);
		act_run(k->act, &one, k->zero);
	}
}

/* classify_act_fn: the size group's output starts here, then act. */
static void
act_marked(void *arg, const struct members *mb, const size_t *cls)
{
	struct marked *k = arg;
	const struct fent *f = ent_f(mb->m[0]);

	if (shuffle_is_split(k->m, fent_dev(f), f->size)) {
		act_classes(k, mb, cls);
		return;
	}
	gather_mark(fent_dev(f), f->size);
	act_run(k->act, mb, cls);
}

static void
sum_u64(void *v, size_t bytes)
{
	MPI_Allreduce(MPI_IN_PLACE, v, (int)(bytes / 8), MPI_UINT64_T, MPI_SUM,
		      MPI_COMM_WORLD);
}

static void
write_stats(struct mpictx *m, const char *path)
{
	struct rankstats *all = NULL;
	FILE *f;

	if (!m->rank)
		all = xmalloc((size_t)m->size * sizeof(*all));
	MPI_Gather(&m->st, sizeof(m->st), MPI_BYTE, all, sizeof(m->st),
		   MPI_BYTE, 0, MPI_COMM_WORLD);
	if (m->rank)
		return;
	if (!(f = fopen(path, "w"))) {
		warnerr(errno, "cannot write %s", path);
		free(all);
		return;
	}
	for (int i = 0; i < m->size; i++) {
		const struct rankstats *s = &all[i];

		fprintf(f,
			"rank %d dirs %" PRIu64 " files %" PRIu64
			" owned %" PRIu64 " groups %" PRIu64
			" bytes_read %" PRIu64 " files_opened %" PRIu64
			" msgs %" PRIu64 " msg_bytes %" PRIu64
			" steals %" PRIu64 " steal_tries %" PRIu64
			" split_groups %" PRIu64 " split_read %" PRIu64 "\n",
			i, s->dirs, s->files, s->owned, s->groups,
			s->bytes_read, s->files_opened, s->msgs, s->msg_bytes,
			s->steals, s->steal_tries, s->split_groups,
			s->split_read);
	}
	if (fclose(f) != 0)
		warnerr(errno, "cannot write %s", path);
	free(all);
}

/* Plan, classify and act on this rank's size groups. */
static void
act_owned(struct mpictx *m, struct run *r, struct filelist *fl)
{
	struct marked k = {.m = m};
	struct classifier *cl;

	k.act = act_new(r);
	cl = classify_new(r, act_marked, &k);
	group_run(r, fl, cl);
	classify_free(cl);
	act_free(k.act);
	free(k.sub);
	free(k.zero);
	replace_finish(r->rep);
}

int
main(int argc, char **argv)
{
	struct run r = {.poll = poll_run};
	struct mpictx m = {.split_min = SPLIT_MIN};
	struct filelist fl = {0};
	struct wkey *keys = NULL;
	const char *stats;
	unsigned spare;
	int provided, status;

	MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &m.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &m.size);
	sig_setup();
	stats = parse(&m, argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &r.start);

	r.threads = opts.threads ? opts.threads : default_threads();
	classify_engine(&r, open_budget(&spare), engine_poll);
	r.rep = replace_new(r.threads, spare);
	report_begin(&r);

	operands(&m);
	dwalk_run(&m, &r, &fl, &keys);
	r.stats.files = fl.files;
	shuffle_run(&m, &fl, &keys);

	leftover_resolve(&r, &fl);
	split_run(&m, &r, &fl, &keys);
	free(keys);
	gather_begin(&m);
	act_owned(&m, &r, &fl);
	gather_end(&m);

	hl_engine_stats(r.eng, &r.engine);
	hl_engine_free(r.eng);
	free(fl.p);
	m.st.bytes_read = r.engine.bytes_read;
	m.st.files_opened = r.engine.files_opened;
	m.st.groups = r.engine.groups;
	if (stats)
		write_stats(&m, stats);
	sum_u64(&r.stats, sizeof(r.stats));
	sum_u64(&r.engine, sizeof(r.engine));
	status = out_exit_status();
	MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX,
		      MPI_COMM_WORLD);
	if (opts.list || m.rank)
		report_free(&r);
	else
		report_end(&r);
	replace_free(r.rep);
	arena_release();
	for (int i = 0; i < m.nops; i++)
		free(m.ops[i].root);
	free(m.ops);
	free(m.split);
	if (fflush(stdout) != 0)
		warnerr(errno, "write error");
	MPI_Finalize();
	return status ? status : out_exit_status();
}
