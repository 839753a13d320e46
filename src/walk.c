/*
 * walk.c - find the regular files under the operands.
 *
 * An iterative depth-first walk over directory file descriptors: every
 * entry is examined with fstatat(AT_SYMLINK_NOFOLLOW) relative to its
 * directory, every subdirectory opened with openat(O_NOFOLLOW), so no path
 * string is resolved and no symlink is followed.  There is no recursion
 * and no depth limit.  At most max_fds directories stay open per thread:
 * when the chain is deeper, the shallowest descriptors are closed, and a
 * directory is reopened later through its child's "..", checked against
 * the device and inode it had, so a directory moved away mid-walk is not
 * followed.
 *
 * Each regular file that passes the filters becomes a struct fent: its
 * directory node, its name and the stat fields the policy needs.  A
 * temporary left by an interrupted run (TMP_PREFIX and TMP_RANDOM
 * characters) is listed apart for leftover.c; the walk changes nothing.
 *
 * SEVERAL THREADS
 *
 * The order of the files (and of the messages) is the order of the
 * one-thread walk whatever the number of threads: the policy and the
 * output depend on it.  A tree is walked as tasks, each a subtree that
 * one thread walks depth first exactly as above, into the task's own
 * list of files and log of messages.  The main thread starts alone and
 * starts the others once it has read SPAWN_AFTER entries (a small tree
 * costs no thread).  When a thread is idle and no task is queued, a busy
 * thread donates the last not yet entered subdirectories (DONATE at
 * most) of its shallowest directory that has some, the biggest pieces of
 * work it holds: it opens each as enter() would and notes in its log
 * where they belong, just before it leaves that directory.  Once every
 * thread is idle the main thread replays the logs from the root task,
 * descending into donated tasks where they were noted: files are
 * appended in one-thread order and messages printed.  With one thread, or -vv
 * (a line per file, best printed as it comes), the main thread walks
 * alone and prints directly.
 */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "opts.h"
#include "output.h"
#include "sig.h"
#include "util.h"

#define MAX_DIR_FDS 48	 /* per walk; divided among the threads */
#define MAX_THREADS 8	 /* of the walk: 8 x 8 descriptors at most */
#define SPAWN_AFTER 2048 /* entries the main thread reads alone */
#define GETDENTS_BUF (64 * 1024)

/*
 * A subtree walked by one thread, and what it found: files (in fl) and a
 * log of records that the replay reads in order.  A record is a struct
 * rec followed by its payload, padded to 8 bytes: R_FILES (a size_t:
 * that many more files of fl), R_MSG (a message kind and its text),
 * R_TASKS (a size_t n, then n struct task pointers: donated subtrees, in
 * order).
 */
struct task {
	struct dnode *d; /* root of the subtree */
	int fd;		 /* its descriptor, or -1: nothing to walk */
	struct stat st;	 /* of fd */
	struct filelist fl;
	char *log;
	size_t loglen, logcap;
	size_t logged; /* files of fl covered by R_FILES records */
};

enum rec_type { R_FILES, R_MSG, R_TASKS };

struct rec {
	uint32_t type;
	uint32_t kind; /* R_MSG: enum msg_kind */
	size_t len;    /* payload bytes */
};

/* What the threads walking one operand share. */
struct shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct task **q; /* tasks not yet taken */
	size_t nq, capq;
	unsigned idle;	  /* threads waiting for a task */
	unsigned running; /* threads walking, the main one included */
	pthread_t tid[MAX_THREADS];
	unsigned nthreads; /* to start, this one included */
	struct run *run;
	int spawned; /* the other threads were started */
	int done;
	int hungry;	  /* atomic: idle threads and nothing queued */
	unsigned max_fds; /* directory descriptors per thread */
	uint64_t rootdev;
	uint32_t op;
};
static void spawn(struct shared *sh);

struct frame {
	struct dnode *d;
	int fd;
	uint64_t dev, ino;
	struct dnode **subs;
	size_t nsub, isub;
	int has_files;	     /* a file of this directory was kept */
	struct task **given; /* its subdirectories donated to others */
	size_t ngiven;
};

struct walk {
	struct run *run;
	struct filelist *fl;
	struct frame *st;
	size_t n, cap;
	size_t nopen;
	unsigned max_fds;
	uint64_t rootdev;
	uint32_t op;
	struct pathbuf pb;
	char *buf;	   /* for getdents64 */
	struct task *task; /* logging: a worker of a parallel walk */
	struct shared *sh; /* NULL: walking alone */
	size_t seen;	   /* entries read (the main thread's count) */
};

int
is_temp_name(const char *name)
{
	size_t plen = sizeof(TMP_PREFIX) - 1;

	if (strncmp(name, TMP_PREFIX, plen) != 0 ||
	    strlen(name) != plen + TMP_RANDOM)
		return 0;
	for (const char *p = name + plen; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return 0;
	}
	return 1;
}

static void
add_fent(struct filelist *fl, struct dnode *dir, const char *name,
	 const struct stat *st)
{
	/* in this thread's arena, with the names: no lock, freed at exit */
	struct fent *f = fent_new(dir, name, strlen(name), st, (uint32_t)fl->n);

	if (fl->n == fl->cap) {
		fl->cap = fl->cap ? fl->cap * 2 : 1024;
		fl->p = xrealloc(fl->p, fl->cap * sizeof(*fl->p));
	}
	fl->p[fl->n++] = fent_ref(f);
}

/* ---- the log of a task ------------------------------------------------ */

static void *
log_add(struct task *t, enum rec_type type, uint32_t kind, size_t len)
{
	size_t need = sizeof(struct rec) + ((len + 7) & ~(size_t)7);
	struct rec *r;

	if (type != R_FILES && t->logged < t->fl.n) {
		size_t nf = t->fl.n - t->logged;

		t->logged = t->fl.n;
		memcpy(log_add(t, R_FILES, 0, sizeof(nf)), &nf, sizeof(nf));
	}
	if (t->loglen + need > t->logcap) {
		t->logcap = t->logcap ? t->logcap * 2 : 4096;
		if (t->logcap < t->loglen + need)
			t->logcap = t->loglen + need;
		t->log = xrealloc(t->log, t->logcap);
	}
	r = (struct rec *)(t->log + t->loglen);
	*r = (struct rec){type, kind, len};
	t->loglen += need;
	return r + 1;
}

/* The output hook of a worker: the message waits in its task's log. */
static void
log_msg(void *arg, enum msg_kind kind, const char *text)
{
	struct walk *w = arg;
	size_t len = strlen(text) + 1;

	memcpy(log_add(w->task, R_MSG, kind, len), text, len);
}

static void
log_tasks(struct task *t, struct task **v, size_t n)
{
	size_t *p = log_add(t, R_TASKS, 0, sizeof(n) + n * sizeof(*v));

	*p = n;
	memcpy(p + 1, v, n * sizeof(*v));
}

/* A temporary of an interrupted run: for leftover.c, after the walk. */
static void
add_temp(struct filelist *fl, struct dnode *dir, const char *name,
	 const struct stat *st)
{
	fl->temps = xrealloc(fl->temps, (fl->ntemps + 1) * sizeof(*fl->temps));
	fl->temps[fl->ntemps++] = fent_new(dir, name, strlen(name), st, 0);
}

/* The per-file rules of util-linux's walk callback, in its order. */
static void
consider_file(struct walk *w, struct dnode *dir, int from_dir, const char *name,
	      const struct stat *st)
{
	const char *path = NULL;
	uint64_t sz;

	if (from_dir && is_temp_name(name)) {
		add_temp(w->fl, dir, name, st);
		return;
	}
	if (opts.include.n || opts.exclude.n || opts.verbose >= 2)
		path = path_of(&w->pb, dir, name);
	if (opts.include.n || opts.exclude.n) {
		int inc = regex_any(&opts.include, path);
		int exc = regex_any(&opts.exclude, path);

		if ((opts.exclude.n && exc && !inc) ||
		    (!opts.exclude.n && opts.include.n && !inc)) {
			verbose(2, "Skipped (excluded) %s", path);
			return;
		}
	}
	w->fl->files++;
	__atomic_add_fetch(&w->run->files_seen, 1, __ATOMIC_RELAXED);
	sz = opts.real_size ? (uint64_t)st->st_blocks * 512
			    : (uint64_t)st->st_size;
	if (sz < opts.min_size) {
		verbose(2, "Skipped (smaller than configured size) %s", path);
		return;
	}
	if (opts.verbose >= 3)
		verbose(3, " %5" PRIu64 ": [%" PRIu64 "/%" PRIu64 "/%ju] %s",
			w->fl->files, (uint64_t)st->st_dev,
			(uint64_t)st->st_ino, (uintmax_t)st->st_nlink, path);
	if (opts.max_size && sz > opts.max_size) {
		verbose(2, "Skipped (greater than configured size) %s", path);
		return;
	}
	add_fent(w->fl, dir, name, st);
}

static void
close_frame_fd(struct walk *w, struct frame *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
		w->nopen--;
	}
}

/* Keeps at most max_fds directories open: close the shallowest. */
static void
limit_fds(struct walk *w)
{
	for (size_t i = 0; w->nopen > w->max_fds && i + 1 < w->n; i++)
		close_frame_fd(w, &w->st[i]);
}

static void
push_frame(struct walk *w, struct dnode *d, int fd, const struct stat *st)
{
	struct frame *f;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->st = xrealloc(w->st, w->cap * sizeof(*w->st));
	}
	f = &w->st[w->n++];
	*f = (struct frame){
		.d = d, .fd = fd, .dev = st->st_dev, .ino = st->st_ino};
	w->nopen++;
	limit_fds(w);
}

static void
add_sub(struct frame *f, struct dnode *d, size_t *cap)
{
	if (f->nsub == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		f->subs = xrealloc(f->subs, *cap * sizeof(*f->subs));
	}
	f->subs[f->nsub++] = d;
}

/* One entry as getdents64 returns it. */
struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void
read_entry(struct walk *w, struct frame *f, const char *name,
	   unsigned char type, size_t *cap)
{
	struct stat st;

	if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
		return;
	if (type == DT_DIR) {
		add_sub(f, dnode_new(f->d, name, strlen(name), w->op), cap);
		return;
	}
	if (type != DT_REG && type != DT_UNKNOWN)
		return; /* symlinks, devices, FIFOs, sockets */
	if (fstatat(f->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			warnerr(errno, "cannot read %s",
				path_of(&w->pb, f->d, name));
		return;
	}
	if (S_ISREG(st.st_mode))
		consider_file(w, f->d, 1, name, &st);
	else if (S_ISDIR(st.st_mode))
		add_sub(f, dnode_new(f->d, name, strlen(name), w->op), cap);
}

static __thread int is_worker; /* a thread started by spawn() */

/*
 * The poll point of the walk, per entry: the main thread polls the run
 * (which may end it); a worker only stops (the main thread will see the
 * signal).
 */
static int
stopped(struct walk *w)
{
	if (is_worker)
		return sig_pending() != 0;
	run_poll(w->run);
	return 0;
}

/*
 * Reads the whole directory with getdents64 on the frame's descriptor
 * (no DIR stream: no dup, no extra fstat per directory): files are
 * considered, subdirectories kept for later.
 */
static void
read_dir(struct walk *w, struct frame *f)
{
	size_t cap = 0, before = w->fl->n;

	for (;;) {
		long n = syscall(SYS_getdents64, f->fd, w->buf, GETDENTS_BUF);

		if (n < 0) {
			warnerr(errno, "cannot read %s",
				path_of(&w->pb, f->d, NULL));
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			const struct dent64 *de = (const void *)(w->buf + off);

			if (stopped(w))
				return;
			read_entry(w, f, de->d_name, de->d_type, &cap);
			if (w->sh && !is_worker && !w->sh->spawned &&
			    ++w->seen == SPAWN_AFTER)
				spawn(w->sh);
			off += de->d_reclen;
		}
	}
	f->has_files = w->fl->n > before;
}

/*
 * Checks a directory just opened as d: the filters of enter(), then the
 * type and --mount.  Returns fd (with *st filled), or -1 with fd closed.
 */
static int
check_dir(struct walk *w, struct dnode *d, int fd, struct stat *st)
{
	if (fd < 0) {
		/* vanished, or became a symlink: not ours to follow */
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			warnerr(errno, "cannot read %s",
				path_of(&w->pb, d, NULL));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISDIR(st->st_mode)) {
		warnerr(errno, "cannot read %s", path_of(&w->pb, d, NULL));
		close(fd);
		return -1;
	}
	if (opts.mount && (uint64_t)st->st_dev != w->rootdev) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
excluded_subtree(struct walk *w, struct dnode *d)
{
	const char *path;

	if (!opts.exclude_subtree.n)
		return 0;
	path = path_of(&w->pb, d, NULL);
	if (!regex_any(&opts.exclude_subtree, path))
		return 0;
	verbose(2, "Skipped (excluded subtree) %s", path);
	return 1;
}

/*
 * Opens subdirectory d of frame f, unless filtered out: its descriptor
 * (with *st filled), or -1.
 */
static int
open_sub(struct walk *w, struct frame *f, struct dnode *d, struct stat *st)
{
	if (excluded_subtree(w, d))
		return -1;
	return check_dir(w, d,
			 openat(f->fd, d->name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC | O_NONBLOCK),
			 st);
}

/* Opens subdirectory d of frame f and pushes it, unless filtered out. */
static void
enter(struct walk *w, struct frame *f, struct dnode *d)
{
	struct stat st;
	int fd = open_sub(w, f, d, &st);

	if (fd >= 0)
		push_frame(w, d, fd, &st);
}

/*
 * Pops the finished top frame; reopens its parent through ".." if the
 * parent's descriptor was closed to stay under max_fds.
 */
static void
leave(struct walk *w)
{
	struct frame *c = &w->st[--w->n];
	struct frame *p = w->n ? &w->st[w->n - 1] : NULL;

	if (c->ngiven) {
		log_tasks(w->task, c->given, c->ngiven);
		free(c->given);
	}
	if (p && p->fd < 0) {
		struct stat st;
		int fd = c->fd >= 0 ? openat(c->fd, "..",
					     O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				    : -1;

		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    (uint64_t)st.st_dev == p->dev &&
		    (uint64_t)st.st_ino == p->ino) {
			p->fd = fd;
			w->nopen++;
		} else {
			if (fd >= 0)
				close(fd);
			warnmsg("%s: directory moved during the walk, "
				"not descended further",
				path_of(&w->pb, p->d, NULL));
			p->isub = p->nsub;
		}
	}
	/* its files will be opened relative to it (names.c) */
	if (c->fd >= 0 && c->has_files && dnode_keep_fd(c->d, c->fd)) {
		c->fd = -1;
		w->nopen--;
	}
	close_frame_fd(w, c);
	free(c->subs);
}

/* ---- tasks --------------------------------------------------------------- */

static struct task *
task_new(struct dnode *d, int fd)
{
	struct task *t = xcalloc(1, sizeof(*t));

	t->d = d;
	t->fd = fd;
	return t;
}

static void
queue_push(struct shared *sh, struct task **v, size_t n)
{
	pthread_mutex_lock(&sh->lock);
	if (sh->nq + n > sh->capq) {
		sh->capq = (sh->nq + n) * 2;
		sh->q = xrealloc(sh->q, sh->capq * sizeof(*sh->q));
	}
	/* a stack: the first donated is taken first */
	for (size_t i = n; i-- > 0;)
		sh->q[sh->nq++] = v[i];
	__atomic_store_n(&sh->hungry, 0, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Opens subdirectory d of frame f for a task of its own, t, as enter()
 * would, with the messages of that in t's log.
 */
static void
enter_task(struct walk *w, struct frame *f, struct task *t)
{
	struct task *mine = w->task;

	w->task = t;
	t->fd = open_sub(w, f, t->d, &t->st);
	w->task = mine;
}

/*
 * A thread is idle: give it the last subdirectories not yet entered (at
 * most DONATE) of the shallowest directory that has some, the top one
 * only if it has two or more (its last one is as good walked here).
 * They are opened here, as enter() would, so that the walk never
 * resolves a path; they come back in order when that directory is left,
 * after its other subdirectories and before what was donated from it
 * earlier.
 */
#define DONATE 8

static void
donate(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct frame *f = &w->st[i];
		size_t left = f->nsub - f->isub, k;
		struct task **v;

		if (!left || (i + 1 == w->n && left < 2))
			continue;
		if (f->fd < 0)
			continue; /* closed for the limit: keep it */
		k = left < DONATE ? left : DONATE;
		if (i + 1 == w->n && k == left)
			k = left - 1; /* the top keeps something to do */
		v = xmalloc((k + f->ngiven) * sizeof(*v));
		f->nsub -= k;
		for (size_t j = 0; j < k; j++) {
			v[j] = task_new(f->subs[f->nsub + j], -1);
			enter_task(w, f, v[j]);
		}
		if (f->ngiven)
			memcpy(v + k, f->given, f->ngiven * sizeof(*v));
		free(f->given);
		f->given = v;
		f->ngiven += k;
		queue_push(w->sh, v, k);
		return;
	}
}

static void
walk_tree(struct walk *w, struct dnode *root, int fd, const struct stat *st)
{
	push_frame(w, root, fd, st);
	read_dir(w, &w->st[0]);
	while (w->n) {
		struct frame *f = &w->st[w->n - 1];
		size_t before = w->n;

		if (w->sh && sig_pending())
			break;
		if (f->isub == f->nsub) {
			leave(w);
			continue;
		}
		if (w->sh && __atomic_load_n(&w->sh->hungry, __ATOMIC_RELAXED))
			donate(w);
		if (f->isub == f->nsub)
			continue;
		enter(w, f, f->subs[f->isub++]);
		if (w->n > before)
			read_dir(w, &w->st[w->n - 1]);
	}
	/* interrupted: no replay will follow */
	while (w->n) {
		struct frame *f = &w->st[--w->n];

		close_frame_fd(w, f);
		free(f->subs);
		free(f->given);
	}
}

/* Walks task t (on any thread), whose root is open as t->fd, or not. */
static void
task_walk(struct walk *w, struct task *t)
{
	w->task = t;
	w->fl = &t->fl;
	out_set_hook(log_msg, w);
	if (t->fd >= 0)
		walk_tree(w, t->d, t->fd, &t->st);
	out_set_hook(NULL, NULL);
	w->task = NULL;
}

static void *
worker(void *arg)
{
	struct shared *sh = arg;
	struct walk w = {.run = sh->run,
			 .sh = sh,
			 .rootdev = sh->rootdev,
			 .op = sh->op,
			 .max_fds = sh->max_fds};

	w.buf = xmalloc(GETDENTS_BUF);
	pthread_mutex_lock(&sh->lock);
	for (;;) {
		struct task *t;

		while (!sh->nq && !sh->done) {
			if (++sh->idle == sh->running) {
				sh->done = 1;
				pthread_cond_broadcast(&sh->cond);
			} else {
				__atomic_store_n(&sh->hungry, 1,
						 __ATOMIC_RELAXED);
				pthread_cond_wait(&sh->cond, &sh->lock);
			}
			sh->idle--;
		}
		if (!sh->nq)
			break;
		t = sh->q[--sh->nq];
		if (!sh->nq && sh->idle)
			__atomic_store_n(&sh->hungry, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&sh->lock);
		task_walk(&w, t);
		pthread_mutex_lock(&sh->lock);
	}
	pthread_mutex_unlock(&sh->lock);
	free(w.st);
	free(w.buf);
	pathbuf_release(&w.pb);
	return NULL;
}

static void *
worker_thread(void *arg)
{
	is_worker = 1;
	return worker(arg);
}

/* Appends from[start, start + n) to fl, numbering them in fl's order. */
static void
append_files(struct filelist *fl, const struct filelist *from, size_t start,
	     size_t n)
{
	const uint32_t *v;

	if (!n)
		return; /* from->p may be NULL */
	v = from->p + start;
	if (fl->n + n > fl->cap) {
		while (fl->n + n > fl->cap)
			fl->cap = fl->cap ? fl->cap * 2 : 1024;
		fl->p = xrealloc(fl->p, fl->cap * sizeof(*fl->p));
	}
	for (size_t i = 0; i < n; i++) {
		fent_at(v[i])->seq = (uint32_t)fl->n;
		fl->p[fl->n++] = v[i];
	}
}

/*
 * Appends the temporaries that a task found to fl's (at the end of the
 * task: their order among the task's files does not matter).
 */
static void
merge_temps(struct filelist *fl, struct filelist *from)
{
	if (from->ntemps) {
		fl->temps = xrealloc(fl->temps, (fl->ntemps + from->ntemps) *
							sizeof(*fl->temps));
		memcpy(fl->temps + fl->ntemps, from->temps,
		       from->ntemps * sizeof(*fl->temps));
		fl->ntemps += from->ntemps;
	}
	free(from->temps);
}

/*
 * The main thread, after the walk: the tasks' files appended to fl and
 * their messages printed, in the one-thread order (see the top).
 */
static void
replay(struct filelist *fl, struct task *root)
{
	struct cursor {
		struct task *t;
		size_t off, fpos;
	} *stk = xmalloc(sizeof(*stk));
	size_t n = 1, cap = 1;

	stk[0] = (struct cursor){root, 0, 0};
	while (n) {
		struct cursor *c = &stk[n - 1];
		struct task *t = c->t;
		const struct rec *r;
		const void *p;

		if (c->off >= t->loglen) {
			append_files(fl, &t->fl, c->fpos, t->fl.n - c->fpos);
			fl->files += t->fl.files;
			merge_temps(fl, &t->fl);
			free(t->fl.p);
			free(t->log);
			free(t);
			n--;
			continue;
		}
		r = (const struct rec *)(t->log + c->off);
		p = r + 1;
		c->off += sizeof(*r) + ((r->len + 7) & ~(size_t)7);
		switch (r->type) {
		case R_FILES: {
			size_t nf = *(const size_t *)p;

			append_files(fl, &t->fl, c->fpos, nf);
			c->fpos += nf;
			break;
		}
		case R_MSG: msg_replay((enum msg_kind)r->kind, p); break;
		case R_TASKS: {
			size_t k = *(const size_t *)p;
			struct task *const *v =
				(struct task *const *)((const size_t *)p + 1);

			if (n + k > cap) {
				cap = (n + k) * 2;
				stk = xrealloc(stk, cap * sizeof(*stk));
			}
			/* the first donated on top */
			for (size_t i = k; i-- > 0;)
				stk[n++] = (struct cursor){v[i], 0, 0};
			break;
		}
		}
	}
	free(stk);
}

/*
 * Starts the other walk threads; called by the main thread once the tree
 * proves big enough (SPAWN_AFTER entries), so that a small tree such as
 * dracut's costs no thread at all.
 */
static void
spawn(struct shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	sh->spawned = 1;
	for (unsigned i = 1; i < sh->nthreads; i++) {
		if (thread_start(&sh->tid[sh->running], worker_thread, sh) != 0)
			break;
		sh->running++;
	}
	pthread_mutex_unlock(&sh->lock);
}

/* Walks the tree under root (open as fd) with up to nthreads threads. */
static void
walk_parallel(struct walk *w, struct dnode *root, int fd, const struct stat *st,
	      unsigned nthreads)
{
	struct shared sh = {.rootdev = st->st_dev,
			    .op = w->op,
			    .running = 1,
			    .nthreads = nthreads,
			    .run = w->run};
	struct task *t = task_new(root, fd);

	sh.max_fds = MAX_DIR_FDS / nthreads < 8 ? 8 : MAX_DIR_FDS / nthreads;
	pthread_mutex_init(&sh.lock, NULL);
	pthread_cond_init(&sh.cond, NULL);
	t->st = *st;
	sh.q = xmalloc(sizeof(*sh.q));
	sh.capq = 1;
	sh.q[sh.nq++] = t;
	worker(&sh);
	for (unsigned i = 1; i < sh.running; i++)
		pthread_join(sh.tid[i], NULL);
	free(sh.q);
	pthread_cond_destroy(&sh.cond);
	pthread_mutex_destroy(&sh.lock);
	run_poll(w->run);
	replay(w->fl, t);
}

void
walk_operand(struct run *r, struct filelist *fl, const char *operand,
	     uint32_t op)
{
	struct walk w = {.run = r, .fl = fl, .op = op, .max_fds = MAX_DIR_FDS};
	unsigned nthreads = r->threads > MAX_THREADS ? MAX_THREADS : r->threads;
	char *rp = realpath(operand, NULL);
	struct stat st;
	int fd;

	if (!rp) {
		warnerr(errno, "cannot get realpath: %s", operand);
		return;
	}
	if (lstat(rp, &st) < 0) {
		warnerr(errno, "cannot process %s", rp);
		free(rp);
		return;
	}
	if (S_ISREG(st.st_mode)) {
		char *slash = strrchr(rp, '/');
		size_t dlen = slash == rp ? 1 : (size_t)(slash - rp);
		struct dnode *dir = dnode_new(NULL, rp, dlen, op);

		consider_file(&w, dir, 0, slash + 1, &st);
	} else if (S_ISDIR(st.st_mode)) {
		struct dnode *root = dnode_new(NULL, rp, strlen(rp), op);

		if (opts.exclude_subtree.n &&
		    regex_any(&opts.exclude_subtree, rp)) {
			verbose(2, "Skipped (excluded subtree) %s", rp);
		} else if ((fd = open(rp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						  O_CLOEXEC)) < 0 ||
			   fstat(fd, &st) < 0) {
			warnerr(errno, "cannot read %s", rp);
			if (fd >= 0)
				close(fd);
		} else if (nthreads > 1 && opts.verbose < 2) {
			walk_parallel(&w, root, fd, &st, nthreads);
		} else {
			w.rootdev = st.st_dev;
			w.buf = xmalloc(GETDENTS_BUF);
			walk_tree(&w, root, fd, &st);
			free(w.buf);
		}
	}
	free(w.st);
	pathbuf_release(&w.pb);
	free(rp);
}

void
walk_dir(struct run *r, struct filelist *fl, struct dnode *d, uint64_t rootdev,
	 walk_sub_fn *sub, void *arg)
{
	struct walk w = {.run = r,
			 .fl = fl,
			 .op = d->op,
			 .max_fds = MAX_DIR_FDS,
			 .rootdev = rootdev};
	struct stat st;
	int fd;

	if (excluded_subtree(&w, d))
		return;
	fd = check_dir(&w, d,
		       path_open(d, NULL, O_RDONLY | O_DIRECTORY | O_NONBLOCK),
		       &st);
	if (fd >= 0) {
		w.buf = xmalloc(GETDENTS_BUF);
		push_frame(&w, d, fd, &st);
		read_dir(&w, &w.st[0]);
		for (size_t i = 0; i < w.st[0].nsub; i++)
			sub(arg, w.st[0].subs[i]);
		leave(&w);
		free(w.buf);
	}
	free(w.st);
	pathbuf_release(&w.pb);
}
