/*
 * inject.c - an LD_PRELOAD shim that makes chosen libc calls fail.
 *
 * Configuration, read once from the environment:
 *
 *   HL_INJECT=RULE[,RULE...]   RULE is call:errno:nth[:pathsubstring]
 *   HL_INJECT_LOG=FILE         one line per fault that fired
 *   HL_INJECT_TRACE=FILE       one line per wrapped call (no faults needed)
 *
 * call is one of the names in the calls[] table below.  Each name covers
 * every libc symbol of that call (open and open64; fstatat and fstatat64;
 * pread, pread64 and the preadv family; readdir and readdir64...), so a
 * rule need not know which one the binary imports.  "openat2" is the openat2
 * system call reached through syscall(2) (getdents64 is also caught
 * there; every other system call number passes through untouched).
 *
 * errno is a name (EIO, ENOSPC, ...) or a number; "short" makes read and
 * pread return half the bytes asked for (the call is really made; on
 * other calls it only counts), and "none" only counts.  "pause" (ioctl
 * and fideduperange only; elsewhere it only counts) logs the call, then
 * holds it until the file named by HL_INJECT_RESUME exists (at most 30
 * seconds) and makes it: a test can act in between.  "fideduperange" is
 * the ioctl FIDEDUPERANGE: a rule for it is tried first, then "ioctl"
 * rules.  A failing close(2)
 * closes the descriptor first, as Linux does.  Every other fault is returned
 * without making the call.
 *
 * nth counts the calls that match the rule (name and, if given, path):
 * N fails the N-th only, 0 fails every one.  The path of a call is its
 * path argument made absolute through its directory descriptor, or, for
 * calls on a descriptor, what /proc/self/fd says the descriptor is.
 *
 * Log lines: "SEQ CALL ERRNO NTH PATH", where SEQ numbers every wrapped
 * call of the process (shared by all rules and by the trace), ERRNO is
 * the injected value by name ("-" in the trace) and NTH the rule's count.
 * PATH is "OLD -> NEW" for linkat, renameat and renameat2.
 *
 * The wrappers are thread-safe (counters are atomic, the rules are
 * immutable once parsed after the constructor) and take no lock and
 * allocate nothing in the call path: a log line is formatted with
 * snprintf into a stack buffer and appended with open/write/close.
 */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 32
#define ERR_SHORT (-1) /* pseudo-errno: half a read */
#define ERR_NONE (-2)  /* pseudo-errno: count only */
#define ERR_PAUSE (-3) /* pseudo-errno: wait for HL_INJECT_RESUME */

enum call {
	C_OPEN,
	C_OPENAT,
	C_OPENAT2,
	C_PREAD,
	C_READ,
	C_FSTAT,
	C_FSTATAT,
	C_LSTAT,
	C_STAT,
	C_LINKAT,
	C_RENAMEAT,
	C_UNLINKAT,
	C_CLOSE,
	C_READDIR,
	C_IOCTL,
	C_DUP,
	C_FCHOWN,
	C_FCHMOD,
	C_FUTIMENS,
	C_GETDENTS,
	C_RENAMEAT2,
	C_FCNTL,
	C_GETXATTR,
	C_LISTXATTR,
	C_FSTATFS,
	C_FIDEDUPE,
	C_FLISTXATTR,
	NCALLS
};

static const char *const calls[NCALLS] = {
	"open",		 "openat",     "openat2",  "pread",	"read",
	"fstat",	 "fstatat",    "lstat",	   "stat",	"linkat",
	"renameat",	 "unlinkat",   "close",	   "readdir",	"ioctl",
	"dup",		 "fchown",     "fchmod",   "futimens",	"getdents64",
	"renameat2",	 "fcntl",      "getxattr", "listxattr", "fstatfs",
	"fideduperange", "flistxattr",
};

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{"EIO", EIO},
	{"ENOSPC", ENOSPC},
	{"EMLINK", EMLINK},
	{"EXDEV", EXDEV},
	{"EPERM", EPERM},
	{"EROFS", EROFS},
	{"EACCES", EACCES},
	{"ENOENT", ENOENT},
	{"EINTR", EINTR},
	{"ENOSYS", ENOSYS},
	{"EOPNOTSUPP", EOPNOTSUPP},
	{"ENOMEM", ENOMEM},
	{"EMFILE", EMFILE},
	{"ENFILE", ENFILE},
	{"EBADF", EBADF},
	{"ESTALE", ESTALE},
	{"EAGAIN", EAGAIN},
	{"ENOTDIR", ENOTDIR},
	{"ELOOP", ELOOP},
	{"EEXIST", EEXIST},
	{"EBUSY", EBUSY},
	{"EFBIG", EFBIG},
	{"EINVAL", EINVAL},
	{"EDQUOT", EDQUOT},
	{"ENAMETOOLONG", ENAMETOOLONG},
	{"ETXTBSY", ETXTBSY},
	{"short", ERR_SHORT},
	{"none", ERR_NONE},
	{"pause", ERR_PAUSE},
};

struct rule {
	enum call call;
	int err;
	unsigned long nth;
	char path[256]; /* substring; empty matches every path */
	atomic_ulong count;
};

static struct rule rules[MAX_RULES];
static int nrules;
static char log_path[PATH_MAX], trace_path[PATH_MAX], resume_path[PATH_MAX];
static atomic_ulong seq;

/* The real functions, resolved once. */
static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static long (*r_syscall)(long, ...);
static ssize_t (*r_pread)(int, void *, size_t, off_t);
static ssize_t (*r_pread64)(int, void *, size_t, off64_t);
static ssize_t (*r_read)(int, void *, size_t);
static ssize_t (*r_preadv)(int, const struct iovec *, int, off_t);
static ssize_t (*r_preadv64)(int, const struct iovec *, int, off64_t);
static ssize_t (*r_preadv2)(int, const struct iovec *, int, off_t, int);
static ssize_t (*r_preadv64v2)(int, const struct iovec *, int, off64_t, int);
static int (*r_fstat)(int, struct stat *);
static int (*r_fstat64)(int, struct stat64 *);
static int (*r_fstatat)(int, const char *, struct stat *, int);
static int (*r_fstatat64)(int, const char *, struct stat64 *, int);
static int (*r_lstat)(const char *, struct stat *);
static int (*r_lstat64)(const char *, struct stat64 *);
static int (*r_stat)(const char *, struct stat *);
static int (*r_stat64)(const char *, struct stat64 *);
static int (*r_linkat)(int, const char *, int, const char *, int);
static int (*r_renameat)(int, const char *, int, const char *);
static int (*r_unlinkat)(int, const char *, int);
static int (*r_close)(int);
static struct dirent *(*r_readdir)(DIR *);
static struct dirent64 *(*r_readdir64)(DIR *);
static int (*r_ioctl)(int, unsigned long, ...);
static int (*r_dup)(int);
static int (*r_fchown)(int, uid_t, gid_t);
static int (*r_fchmod)(int, mode_t);
static int (*r_futimens)(int, const struct timespec[2]);
static ssize_t (*r_getdents64)(int, void *, size_t);
static int (*r_renameat2)(int, const char *, int, const char *, unsigned);
static int (*r_fcntl)(int, int, ...);
static int (*r_fcntl64)(int, int, ...);
static ssize_t (*r_getxattr)(const char *, const char *, void *, size_t);
static ssize_t (*r_lgetxattr)(const char *, const char *, void *, size_t);
static ssize_t (*r_fgetxattr)(int, const char *, void *, size_t);
static ssize_t (*r_listxattr)(const char *, char *, size_t);
static ssize_t (*r_llistxattr)(const char *, char *, size_t);
static ssize_t (*r_flistxattr)(int, char *, size_t);
static int (*r_fstatfs)(int, struct statfs *);
static int (*r_fstatfs64)(int, struct statfs64 *);

static void *
real(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		static const char msg[] = "inject: cannot resolve a symbol\n";

		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	return p;
}

/* An optional symbol (not every libc has every variant). */
static void *
maybe(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static int
parse_errno(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (strlen(errnos[i].name) == len &&
		    !strncmp(errnos[i].name, s, len))
			return errnos[i].value;
	}
	if (len && s[0] >= '0' && s[0] <= '9')
		return atoi(s);
	return 0;
}

static void
bad_config(const char *what)
{
	static const char pre[] = "inject: bad HL_INJECT rule: ";

	if (write(2, pre, sizeof(pre) - 1) < 0 ||
	    write(2, what, strlen(what)) < 0 || write(2, "\n", 1) < 0)
		_exit(127);
	_exit(127);
}

/* Parses one "call:errno:nth[:path]" rule of len bytes. */
static void
parse_rule(const char *s, size_t len)
{
	char buf[512];
	char *f[4] = {NULL, NULL, NULL, NULL}, *p;
	struct rule *r = &rules[nrules];
	int n = 0;

	if (len >= sizeof(buf) || nrules == MAX_RULES)
		bad_config("too long or too many");
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* the path is the rest of the rule: it may contain ':' */
	for (p = buf, f[n++] = buf; *p && n < 4; p++) {
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	if (n < 3)
		bad_config(buf);
	for (r->call = 0; r->call < NCALLS; r->call++) {
		if (!strcmp(calls[r->call], f[0]))
			break;
	}
	if (r->call == NCALLS)
		bad_config(f[0]);
	r->err = parse_errno(f[1], strlen(f[1]));
	if (!r->err)
		bad_config(f[1]);
	r->nth = strtoul(f[2], NULL, 10);
	if (f[3])
		snprintf(r->path, sizeof(r->path), "%s", f[3]);
	nrules++;
}

__attribute__((constructor)) static void
inject_init(void)
{
	static atomic_int once;
	const char *s = getenv("HL_INJECT");

	/* the constructor, or the first call made before it ran */
	if (atomic_exchange(&once, 1))
		return;
	r_open = real("open");
	r_open64 = real("open64");
	r_openat = real("openat");
	r_openat64 = real("openat64");
	r_syscall = real("syscall");
	r_pread = real("pread");
	r_pread64 = real("pread64");
	r_read = real("read");
	r_preadv = real("preadv");
	r_preadv64 = real("preadv64");
	r_preadv2 = maybe("preadv2");
	r_preadv64v2 = maybe("preadv64v2");
	r_fstat = real("fstat");
	r_fstat64 = real("fstat64");
	r_fstatat = real("fstatat");
	r_fstatat64 = real("fstatat64");
	r_lstat = real("lstat");
	r_lstat64 = real("lstat64");
	r_stat = real("stat");
	r_stat64 = real("stat64");
	r_linkat = real("linkat");
	r_renameat = real("renameat");
	r_unlinkat = real("unlinkat");
	r_close = real("close");
	r_readdir = real("readdir");
	r_readdir64 = real("readdir64");
	r_ioctl = real("ioctl");
	r_dup = real("dup");
	r_fchown = real("fchown");
	r_fchmod = real("fchmod");
	r_futimens = real("futimens");
	r_getdents64 = maybe("getdents64");
	r_renameat2 = maybe("renameat2");
	r_fcntl = real("fcntl");
	r_fcntl64 = maybe("fcntl64");
	r_getxattr = real("getxattr");
	r_lgetxattr = real("lgetxattr");
	r_fgetxattr = real("fgetxattr");
	r_listxattr = real("listxattr");
	r_llistxattr = real("llistxattr");
	r_flistxattr = real("flistxattr");
	r_fstatfs = real("fstatfs");
	r_fstatfs64 = real("fstatfs64");

	if (getenv("HL_INJECT_LOG"))
		snprintf(log_path, sizeof(log_path), "%s",
			 getenv("HL_INJECT_LOG"));
	if (getenv("HL_INJECT_TRACE"))
		snprintf(trace_path, sizeof(trace_path), "%s",
			 getenv("HL_INJECT_TRACE"));
	if (getenv("HL_INJECT_RESUME"))
		snprintf(resume_path, sizeof(resume_path), "%s",
			 getenv("HL_INJECT_RESUME"));
	while (s && *s) {
		size_t len = strcspn(s, ",");

		if (len)
			parse_rule(s, len);
		s += len;
		if (*s == ',')
			s++;
	}
}

/* ---- paths, for matching and logging --------------------------------- */

struct pbuf {
	char s[PATH_MAX + 256];
	size_t len;
};

static void
pb_add(struct pbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(b->s) - 1 - b->len)
		n = sizeof(b->s) - 1 - b->len;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
pb_fd(struct pbuf *b, int fd)
{
	char link[32] = "/proc/self/fd/";
	char num[16];
	size_t i = sizeof(num);
	ssize_t n;
	unsigned v = (unsigned)fd;

	num[--i] = '\0';
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strcat(link, num + i);
	n = readlink(link, b->s + b->len, sizeof(b->s) - 1 - b->len);
	if (n < 0)
		n = 0;
	b->len += (size_t)n;
	b->s[b->len] = '\0';
}

/* The absolute form of (dirfd, path), as well as it can be known. */
static void
pb_at(struct pbuf *b, int dirfd, const char *path)
{
	if (!path)
		return;
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD) {
			if (getcwd(b->s + b->len, sizeof(b->s) - b->len))
				b->len += strlen(b->s + b->len);
		} else {
			pb_fd(b, dirfd);
		}
		pb_add(b, "/");
	}
	pb_add(b, path);
}

/* ---- the decision ----------------------------------------------------- */

static const char *
errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (errnos[i].value == err)
			return errnos[i].name;
	}
	return "?";
}

static void
log_line(const char *file, unsigned long n, enum call c, int err,
	 unsigned long nth, const char *path)
{
	char line[PATH_MAX * 2 + 128];
	size_t len;
	int fd;

	if (err == ERR_NONE)
		len = (size_t)snprintf(line, sizeof(line), "%lu %s - %lu %s\n",
				       n, calls[c], nth, path);
	else
		len = (size_t)snprintf(line, sizeof(line), "%lu %s %s %lu %s\n",
				       n, calls[c], errno_name(err), nth, path);
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	fd = r_open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, len) < 0)
		len = 0;
	r_close(fd);
}

/*
 * Decides the fate of one call.  Returns 0 to make the call normally, or
 * the errno to fail it with (or ERR_SHORT).  The path is described lazily:
 * only when a rule for this call has a path, or a log is kept.
 */
struct site {
	enum call call;
	int dirfd;	  /* with path, or -1 */
	const char *path; /* NULL: describe fd */
	int fd;
	const char *path2; /* second path (linkat, renameat) */
	int dirfd2;
	const char *note; /* appended to the path, or NULL */
};

static void
describe(struct pbuf *b, const struct site *s)
{
	b->len = 0;
	b->s[0] = '\0';
	if (s->path)
		pb_at(b, s->dirfd, s->path);
	else if (s->fd >= 0)
		pb_fd(b, s->fd);
	if (s->path2) {
		pb_add(b, " -> ");
		pb_at(b, s->dirfd2, s->path2);
	}
	if (s->note)
		pb_add(b, s->note);
}

static int
decide(const struct site *s)
{
	struct pbuf b;
	int described = 0, fire = 0;
	unsigned long n = atomic_fetch_add(&seq, 1) + 1, fired_nth = 0;

	if (!r_open)
		inject_init();
	for (int i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];
		unsigned long k;

		if (r->call != s->call)
			continue;
		if (r->path[0]) {
			if (!described++)
				describe(&b, s);
			if (!strstr(b.s, r->path))
				continue;
		}
		k = atomic_fetch_add(&r->count, 1) + 1;
		if (!fire && r->err != ERR_NONE &&
		    (r->err != ERR_SHORT || s->call == C_PREAD ||
		     s->call == C_READ) &&
		    (r->err != ERR_PAUSE || s->call == C_IOCTL ||
		     s->call == C_FIDEDUPE) &&
		    (r->nth == 0 || r->nth == k)) {
			fire = r->err;
			fired_nth = k;
		}
	}
	if (trace_path[0] || (fire && log_path[0])) {
		if (!described++)
			describe(&b, s);
		if (trace_path[0])
			log_line(trace_path, n, s->call, ERR_NONE, 0, b.s);
		if (fire && log_path[0])
			log_line(log_path, n, s->call, fire, fired_nth, b.s);
	}
	return fire;
}

#define SITE_PATH(c, dfd, p)                                                   \
	(&(struct site){(c), (dfd), (p), -1, NULL, -1, NULL})
#define SITE_FD(c, f) (&(struct site){(c), -1, NULL, (f), NULL, -1, NULL})
/*
 * An open that asks for O_NOATIME says so in the log (" (O_NOATIME)"
 * after the path): the program may retry it without the flag on EPERM.
 */
#define SITE_OPEN(c, dfd, p, flags)                                            \
	(&(struct site){(c), (dfd), (p), -1, NULL, -1,                         \
			((flags)&O_NOATIME) ? " (O_NOATIME)" : NULL})

/* Fails the call: errno set, -1 returned. */
#define FAIL(e)                                                                \
	do {                                                                   \
		errno = (e);                                                   \
		return -1;                                                     \
	} while (0)

/* ---- the wrappers ------------------------------------------------------ */

static mode_t
mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE
		       ? (mode_t)va_arg(ap, int)
		       : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int e = decide(SITE_PATH(C_OPEN, AT_FDCWD, path));

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (e > 0)
		FAIL(e);
	return r_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int e = decide(SITE_PATH(C_OPEN, AT_FDCWD, path));

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (e > 0)
		FAIL(e);
	return r_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int e = decide(SITE_OPEN(C_OPENAT, dirfd, path, flags));

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (e > 0)
		FAIL(e);
	return r_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int e = decide(SITE_OPEN(C_OPENAT, dirfd, path, flags));

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (e > 0)
		FAIL(e);
	return r_openat64(dirfd, path, flags, mode);
}

/*
 * syscall(2) takes up to six word-sized arguments; reading six is what
 * glibc's own implementation does, whatever the number needs.
 */
long
syscall(long number, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!r_syscall)
		inject_init();
	if (number == SYS_openat2) {
		const struct open_how *how = (const struct open_how *)a[2];
		int e = decide(SITE_OPEN(C_OPENAT2, (int)a[0],
					 (const char *)a[1],
					 how ? (int)how->flags : 0));

		if (e > 0)
			FAIL(e);
	} else if (number == SYS_getdents64) {
		int e = decide(SITE_FD(C_GETDENTS, (int)a[0]));

		if (e > 0)
			FAIL(e);
	}
	return r_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	int e = decide(SITE_FD(C_PREAD, fd));

	if (e == ERR_SHORT && n > 1)
		n /= 2;
	else if (e > 0)
		FAIL(e);
	return r_pread(fd, buf, n, off);
}

ssize_t
pread64(int fd, void *buf, size_t n, off64_t off)
{
	int e = decide(SITE_FD(C_PREAD, fd));

	if (e == ERR_SHORT && n > 1)
		n /= 2;
	else if (e > 0)
		FAIL(e);
	return r_pread64(fd, buf, n, off);
}

/*
 * The preadv family: a short read is made by asking for half the bytes of
 * the whole vector (the leading iovecs, the last one cut).
 */
#define MAX_IOV 64

static int
short_iov(struct iovec *out, const struct iovec *iov, int n)
{
	size_t total = 0, want;
	int k = 0;

	if (n > MAX_IOV)
		return -1;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total < 2)
		return -1;
	want = total / 2;
	for (int i = 0; i < n && want; i++, k++) {
		out[k] = iov[i];
		if (out[k].iov_len > want)
			out[k].iov_len = want;
		want -= out[k].iov_len;
	}
	return k;
}

ssize_t
preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	struct iovec cut[MAX_IOV];
	int e = decide(SITE_FD(C_PREAD, fd)), k;

	if (e == ERR_SHORT && (k = short_iov(cut, iov, n)) > 0)
		return r_preadv(fd, cut, k, off);
	if (e > 0)
		FAIL(e);
	return r_preadv(fd, iov, n, off);
}

ssize_t
preadv64(int fd, const struct iovec *iov, int n, off64_t off)
{
	struct iovec cut[MAX_IOV];
	int e = decide(SITE_FD(C_PREAD, fd)), k;

	if (e == ERR_SHORT && (k = short_iov(cut, iov, n)) > 0)
		return r_preadv64(fd, cut, k, off);
	if (e > 0)
		FAIL(e);
	return r_preadv64(fd, iov, n, off);
}

ssize_t
preadv2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
	struct iovec cut[MAX_IOV];
	int e = decide(SITE_FD(C_PREAD, fd)), k;

	if (!r_preadv2)
		FAIL(ENOSYS);
	if (e == ERR_SHORT && (k = short_iov(cut, iov, n)) > 0)
		return r_preadv2(fd, cut, k, off, flags);
	if (e > 0)
		FAIL(e);
	return r_preadv2(fd, iov, n, off, flags);
}

ssize_t
preadv64v2(int fd, const struct iovec *iov, int n, off64_t off, int flags)
{
	struct iovec cut[MAX_IOV];
	int e = decide(SITE_FD(C_PREAD, fd)), k;

	if (!r_preadv64v2)
		FAIL(ENOSYS);
	if (e == ERR_SHORT && (k = short_iov(cut, iov, n)) > 0)
		return r_preadv64v2(fd, cut, k, off, flags);
	if (e > 0)
		FAIL(e);
	return r_preadv64v2(fd, iov, n, off, flags);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	int e = decide(SITE_FD(C_READ, fd));

	if (e == ERR_SHORT && n > 1)
		n /= 2;
	else if (e > 0)
		FAIL(e);
	return r_read(fd, buf, n);
}

ssize_t
getdents64(int fd, void *buf, size_t n)
{
	int e = decide(SITE_FD(C_GETDENTS, fd));

	if (e > 0)
		FAIL(e);
	if (!r_getdents64)
		return r_syscall(SYS_getdents64, fd, buf, n);
	return r_getdents64(fd, buf, n);
}

int
fstat(int fd, struct stat *st)
{
	int e = decide(SITE_FD(C_FSTAT, fd));

	if (e > 0)
		FAIL(e);
	return r_fstat(fd, st);
}

int
fstat64(int fd, struct stat64 *st)
{
	int e = decide(SITE_FD(C_FSTAT, fd));

	if (e > 0)
		FAIL(e);
	return r_fstat64(fd, st);
}

int
fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int e = decide(SITE_PATH(C_FSTATAT, dirfd, path));

	if (e > 0)
		FAIL(e);
	return r_fstatat(dirfd, path, st, flags);
}

int
fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	int e = decide(SITE_PATH(C_FSTATAT, dirfd, path));

	if (e > 0)
		FAIL(e);
	return r_fstatat64(dirfd, path, st, flags);
}

int
lstat(const char *path, struct stat *st)
{
	int e = decide(SITE_PATH(C_LSTAT, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_lstat(path, st);
}

int
lstat64(const char *path, struct stat64 *st)
{
	int e = decide(SITE_PATH(C_LSTAT, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_lstat64(path, st);
}

int
stat(const char *path, struct stat *st)
{
	int e = decide(SITE_PATH(C_STAT, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_stat(path, st);
}

int
stat64(const char *path, struct stat64 *st)
{
	int e = decide(SITE_PATH(C_STAT, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_stat64(path, st);
}

int
linkat(int olddir, const char *oldpath, int newdir, const char *newpath,
       int flags)
{
	int e = decide(&(struct site){C_LINKAT, olddir, oldpath, -1, newpath,
				      newdir, NULL});

	if (e > 0)
		FAIL(e);
	return r_linkat(olddir, oldpath, newdir, newpath, flags);
}

int
renameat(int olddir, const char *oldpath, int newdir, const char *newpath)
{
	int e = decide(&(struct site){C_RENAMEAT, olddir, oldpath, -1, newpath,
				      newdir, NULL});

	if (e > 0)
		FAIL(e);
	return r_renameat(olddir, oldpath, newdir, newpath);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	int e = decide(SITE_PATH(C_UNLINKAT, dirfd, path));

	if (e > 0)
		FAIL(e);
	return r_unlinkat(dirfd, path, flags);
}

/* Linux releases the descriptor whatever close returns. */
int
close(int fd)
{
	int e = decide(SITE_FD(C_CLOSE, fd));
	int rc = r_close(fd);

	if (e > 0)
		FAIL(e);
	return rc;
}

struct dirent *
readdir(DIR *d)
{
	int e = decide(SITE_FD(C_READDIR, dirfd(d)));

	if (e > 0) {
		errno = e;
		return NULL;
	}
	return r_readdir(d);
}

struct dirent64 *
readdir64(DIR *d)
{
	int e = decide(SITE_FD(C_READDIR, dirfd(d)));

	if (e > 0) {
		errno = e;
		return NULL;
	}
	return r_readdir64(d);
}

/* Waits for HL_INJECT_RESUME to exist, at most 30 seconds. */
static void
pause_call(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	struct stat st;

	for (int i = 0; i < 3000 && resume_path[0]; i++) {
		if (r_fstatat(AT_FDCWD, resume_path, &st, 0) == 0)
			return;
		nanosleep(&ts, NULL);
	}
}

int
ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int e = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == FIDEDUPERANGE)
		e = decide(SITE_FD(C_FIDEDUPE, fd));
	if (!e)
		e = decide(SITE_FD(C_IOCTL, fd));
	if (e == ERR_PAUSE)
		pause_call();
	else if (e > 0)
		FAIL(e);
	return r_ioctl(fd, req, arg);
}

int
dup(int fd)
{
	int e = decide(SITE_FD(C_DUP, fd));

	if (e > 0)
		FAIL(e);
	return r_dup(fd);
}

int
fchown(int fd, uid_t uid, gid_t gid)
{
	int e = decide(SITE_FD(C_FCHOWN, fd));

	if (e > 0)
		FAIL(e);
	return r_fchown(fd, uid, gid);
}

int
fchmod(int fd, mode_t mode)
{
	int e = decide(SITE_FD(C_FCHMOD, fd));

	if (e > 0)
		FAIL(e);
	return r_fchmod(fd, mode);
}

int
futimens(int fd, const struct timespec ts[2])
{
	int e = decide(SITE_FD(C_FUTIMENS, fd));

	if (e > 0)
		FAIL(e);
	return r_futimens(fd, ts);
}

int
renameat2(int olddir, const char *oldpath, int newdir, const char *newpath,
	  unsigned flags)
{
	int e = decide(&(struct site){C_RENAMEAT2, olddir, oldpath, -1, newpath,
				      newdir, NULL});

	if (e > 0)
		FAIL(e);
	if (!r_renameat2)
		return (int)r_syscall(SYS_renameat2, olddir, oldpath, newdir,
				      newpath, flags);
	return r_renameat2(olddir, oldpath, newdir, newpath, flags);
}

/*
 * fcntl's third argument is an int or a pointer, depending on the command:
 * passed on as a word either way, as the system call takes it.
 */
int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int e;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	e = decide(SITE_FD(C_FCNTL, fd));
	if (e > 0)
		FAIL(e);
	return r_fcntl(fd, cmd, arg);
}

int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int e;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	e = decide(SITE_FD(C_FCNTL, fd));
	if (e > 0)
		FAIL(e);
	return r_fcntl64 ? r_fcntl64(fd, cmd, arg) : r_fcntl(fd, cmd, arg);
}

ssize_t
getxattr(const char *path, const char *name, void *buf, size_t n)
{
	int e = decide(SITE_PATH(C_GETXATTR, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_getxattr(path, name, buf, n);
}

ssize_t
lgetxattr(const char *path, const char *name, void *buf, size_t n)
{
	int e = decide(SITE_PATH(C_GETXATTR, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_lgetxattr(path, name, buf, n);
}

ssize_t
fgetxattr(int fd, const char *name, void *buf, size_t n)
{
	int e = decide(SITE_FD(C_GETXATTR, fd));

	if (e > 0)
		FAIL(e);
	return r_fgetxattr(fd, name, buf, n);
}

ssize_t
listxattr(const char *path, char *buf, size_t n)
{
	int e = decide(SITE_PATH(C_LISTXATTR, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_listxattr(path, buf, n);
}

ssize_t
llistxattr(const char *path, char *buf, size_t n)
{
	int e = decide(SITE_PATH(C_LISTXATTR, AT_FDCWD, path));

	if (e > 0)
		FAIL(e);
	return r_llistxattr(path, buf, n);
}

ssize_t
flistxattr(int fd, char *buf, size_t n)
{
	int e = decide(SITE_FD(C_FLISTXATTR, fd));

	if (e > 0)
		FAIL(e);
	return r_flistxattr(fd, buf, n);
}

int
fstatfs(int fd, struct statfs *sf)
{
	int e = decide(SITE_FD(C_FSTATFS, fd));

	if (e > 0)
		FAIL(e);
	return r_fstatfs(fd, sf);
}

int
fstatfs64(int fd, struct statfs64 *sf)
{
	int e = decide(SITE_FD(C_FSTATFS, fd));

	if (e > 0)
		FAIL(e);
	return r_fstatfs64(fd, sf);
}
