/*
 * cache.c - the content cache (see cache.h): a SQLite database.
 *
 * The file (format version CACHE_VERSION, PRAGMA user_version; PRAGMA
 * application_id CACHE_APPID marks it as ours):
 *
 *	fs(id, ident)		one row per filesystem identity
 *	file(fs, ino, size, mtime, ctime, head, tail)
 *				WITHOUT ROWID, primary key (fs, ino):
 *				the rows of one filesystem lie in inode
 *				order, so loading them is one range scan
 *	runs(id, started, written, files)   when each run wrote, and what
 *
 * Filesystem identity: statfs's f_fsid with f_type.  On ext4 f_fsid is
 * derived from the filesystem UUID and on btrfs from its UUID and the
 * subvolume, so it survives reboots and renumbered devices, where st_dev
 * does not; on XFS it is derived from the device number (a renumbered
 * device loses its entries); tmpfs draws a new one at each mount.  A
 * filesystem whose f_fsid is zero falls back to the device number.
 * Overlayfs is left out: its inode numbers need not survive a remount.
 * A wrong identity can only make an entry look valid for another file
 * with the same inode, size and both times to the nanosecond, and the
 * ctime cannot be set by anyone; the worst outcome of a false entry is a
 * link not made, never a wrong link.
 *
 * Look-ups cost no query: the first cache_find for a device loads that
 * filesystem's rows (one SELECT, inode order) into an array, searched by
 * bisection.  The notes are written by cache_close in one transaction
 * (WAL mode, so that a reader never waits and kill -9 loses at most this
 * run's notes).  Another run holding the write lock longer than
 * BUSY_MS: a warning, and this run's notes are dropped.
 */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "util.h"

#define CACHE_VERSION 1
#define CACHE_APPID 0x686c6e6b /* "hlnk" */
#define BUSY_MS 10000
#define OVERLAYFS_MAGIC 0x794c7630

static const char schema[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS fs(id INTEGER PRIMARY KEY,"
	" ident TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS file(fs INTEGER NOT NULL,"
	" ino INTEGER NOT NULL, size INTEGER NOT NULL,"
	" mtime INTEGER NOT NULL, ctime INTEGER NOT NULL,"
	" head INTEGER, tail INTEGER, PRIMARY KEY(fs, ino)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY,"
	" started INTEGER NOT NULL, written INTEGER NOT NULL,"
	" files INTEGER NOT NULL);"
	"PRAGMA application_id = 1751936619;"
	"PRAGMA user_version = 1;"
	"COMMIT;";

/* One filesystem of the run. */
struct fsinfo {
	uint64_t dev;
	char *ident;	       /* NULL: not cached */
	struct cache_entry *v; /* its rows, by inode */
	size_t n;
};

struct note {
	size_t fs; /* index into fsv */
	struct cache_entry e;
};

struct cache {
	sqlite3 *db;
	char *path;
	int ours; /* the file says it is a cache of ours: may be rebuilt */
	int64_t started; /* CLOCK_REALTIME at open, ns */
	struct fsinfo *fsv;
	size_t nfs;
	struct note *notes;
	size_t nnotes, capnotes;
};

static int64_t
ns_of(int64_t sec, uint32_t nsec)
{
	return sec * 1000000000LL + nsec;
}

/* $XDG_CACHE_HOME/hardlink/cache.db, else ~/.cache/hardlink/cache.db. */
static char *
default_path(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct pathbuf base = {0}, dir = {0}, file = {0};
	char *s = NULL;

	if (!xdg || xdg[0] != '/') {
		if (!home || home[0] != '/') {
			const struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return NULL;
	}
	if (xdg && xdg[0] == '/')
		pathbuf_printf(&base, "%s", xdg);
	else
		pathbuf_printf(&base, "%s/.cache", home);
	pathbuf_printf(&dir, "%s/hardlink", base.s);
	pathbuf_printf(&file, "%s/cache.db", dir.s);
	/* both directories are the user's alone if we make them */
	if ((mkdir(base.s, 0700) == 0 || errno == EEXIST) &&
	    (mkdir(dir.s, 0700) == 0 || errno == EEXIST))
		s = xstrdup(file.s);
	pathbuf_release(&base);
	pathbuf_release(&dir);
	pathbuf_release(&file);
	return s;
}

/*
 * Opens path ourselves first, without following a symlink, creating it
 * with mode 0600 (SQLite gives its -wal and -shm files the same mode),
 * and reads the header.  Returns 1 for a file we may use (*ours: it has
 * our application id), 0 after a warning.
 */
static int
check_file(const char *path, int *ours)
{
	unsigned char h[100];
	struct stat st;
	ssize_t n;
	int fd;

	*ours = 0;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd < 0 && errno == ELOOP) {
		warnmsg("%s: the cache is a symbolic link, not used", path);
		return 0;
	}
	if (fd < 0) {
		warnerr(errno, "%s: cannot open the cache", path);
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		warnmsg("%s: the cache is not a regular file, not used", path);
		close(fd);
		return 0;
	}
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n == 0)
		return 1; /* new, or emptied: SQLite makes a database of it */
	if (n < (ssize_t)sizeof(h) || memcmp(h, "SQLite format 3", 16)) {
		warnmsg("%s: not a hardlink cache, not used (remove it to "
			"start a new one)",
			path);
		return 0;
	}
	/* the application id, big-endian at offset 68 */
	uint32_t id = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 |
		      (uint32_t)h[70] << 8 | h[71];
	if (id != CACHE_APPID && id != 0) {
		warnmsg("%s: not a hardlink cache, not used", path);
		return 0;
	}
	*ours = id == CACHE_APPID;
	return 1;
}

static int64_t
pragma_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (*rc == SQLITE_ROW || *rc == SQLITE_DONE)
		*rc = SQLITE_OK;
	sqlite3_finalize(st);
	return v;
}

/*
 * Opens the database and makes or checks its tables.  Returns 0, or 1
 * after a warning (not to be used), or an SQLite error (damaged).
 */
static int
db_setup(struct cache *c)
{
	int64_t ver;
	int rc;

	rc = sqlite3_open_v2(c->path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
			     NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_busy_timeout(c->db, BUSY_MS);
	rc = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	/*
	 * WAL with synchronous=NORMAL: a commit is atomic and the file stays
	 * consistent across a crash, only the last run's notes may be lost
	 * to a power cut, and a run spends no fsync on them (the checkpoint
	 * syncs).  A lost note costs a read, never a wrong answer.
	 */
	rc = sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	ver = pragma_int(c->db, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK)
		return rc;
	if (ver > CACHE_VERSION) {
		warnmsg("%s: cache format %" PRId64
			" is newer than this hardlink's (%d), not used",
			c->path, ver, CACHE_VERSION);
		return 1;
	}
	if (ver < CACHE_VERSION) {
		rc = sqlite3_exec(c->db, schema, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			c->ours = 1;
		return rc;
	}
	/* a version 1 database: its tables must be there */
	pragma_int(c->db, "SELECT count(*) FROM fs, file, runs LIMIT 0", &rc);
	return rc;
}

static void
db_close(struct cache *c)
{
	sqlite3_close(c->db);
	c->db = NULL;
}

/* Removes the database and its -wal and -shm files. */
static void
db_remove(const char *path)
{
	struct pathbuf pb = {0};

	unlink(path);
	unlink(pathbuf_printf(&pb, "%s-wal", path));
	unlink(pathbuf_printf(&pb, "%s-shm", path));
	pathbuf_release(&pb);
}

/* A damaged cache of ours starts anew; anything else is left alone. */
static int
db_rebuild(struct cache *c, const char *reason)
{
	char *why = xstrdup(reason); /* the database's, freed by db_close */
	int ours;

	db_close(c);
	if (!c->ours) {
		warnmsg("%s: cache unusable (%s), not used", c->path, why);
		free(why);
		return -1;
	}
	warnmsg("%s: cache damaged (%s), started anew", c->path, why);
	free(why);
	db_remove(c->path);
	if (!check_file(c->path, &ours) || db_setup(c) != SQLITE_OK) {
		db_close(c);
		return -1;
	}
	return 0;
}

struct cache *
cache_open(const char *path)
{
	struct cache *c = xcalloc(1, sizeof(*c));
	struct timespec now;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	c->started = ns_of(now.tv_sec, (uint32_t)now.tv_nsec);
	c->path = path ? xstrdup(path) : default_path();
	if (!c->path) {
		warnmsg("cannot find a directory for the cache (set "
			"XDG_CACHE_HOME or HOME), not used");
		free(c);
		return NULL;
	}
	if (!check_file(c->path, &c->ours))
		goto fail;
	rc = db_setup(c);
	if (rc == 1)
		goto fail;
	if (rc == SQLITE_BUSY) {
		warnmsg("%s: cache locked by another run, not used", c->path);
		goto fail;
	}
	if (rc != SQLITE_OK &&
	    db_rebuild(c, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)))
		goto fail;
	return c;
fail:
	db_close(c);
	free(c->path);
	free(c);
	return NULL;
}

/* ---- look-ups ---------------------------------------------------------- */

/* The identity of the filesystem of dev, read on its directory dir. */
static char *
fs_ident(uint64_t dev, const struct dnode *dir)
{
	struct pathbuf pb = {0};
	struct statfs sf;
	struct stat st;
	char *s = NULL;
	int fd = path_open(dir, NULL, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dev &&
	    fstatfs(fd, &sf) == 0 && sf.f_type != OVERLAYFS_MAGIC) {
		int v[2];

		memcpy(v, &sf.f_fsid, sizeof(v));
		if (v[0] || v[1])
			pathbuf_printf(&pb, "fsid:%08x%08x:%lx", (unsigned)v[0],
				       (unsigned)v[1],
				       (unsigned long)sf.f_type);
		else
			pathbuf_printf(&pb, "dev:%u:%u:%lx", major(dev),
				       minor(dev), (unsigned long)sf.f_type);
		s = xstrdup(pb.s);
	}
	close(fd);
	pathbuf_release(&pb);
	return s;
}

static int
cmp_ino(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	return CMP(x->ino, y->ino);
}

/* Reads the rows of fs f, in inode order.  Returns an SQLite code. */
static int
load_rows(struct cache *c, struct fsinfo *f)
{
	static const char sql[] =
		"SELECT ino, size, mtime, ctime, head, tail FROM file"
		" WHERE fs = (SELECT id FROM fs WHERE ident = ?) ORDER BY ino";
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, f->ident, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cache_entry *e;

		if (f->n == cap) {
			cap = cap ? 2 * cap : 1024;
			f->v = xrealloc(f->v, cap * sizeof(*f->v));
		}
		e = &f->v[f->n++];
		e->ino = (uint64_t)sqlite3_column_int64(st, 0);
		e->size = (uint64_t)sqlite3_column_int64(st, 1);
		e->mtime = sqlite3_column_int64(st, 2);
		e->ctime = sqlite3_column_int64(st, 3);
		e->have = 0;
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			e->head = (uint64_t)sqlite3_column_int64(st, 4);
			e->have |= HL_DIGEST_HEAD;
		}
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			e->tail = (uint64_t)sqlite3_column_int64(st, 5);
			e->have |= HL_DIGEST_TAIL;
		}
	}
	sqlite3_finalize(st);
	/* SQLite orders signed integers: inodes of 2^63 and up come first */
	if (f->n > 1 && f->v[0].ino > f->v[f->n - 1].ino)
		qsort(f->v, f->n, sizeof(*f->v), cmp_ino);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static struct fsinfo *
fs_get(struct cache *c, uint64_t dev, const struct dnode *dir)
{
	struct fsinfo *f;
	int rc;

	for (size_t i = 0; i < c->nfs; i++) {
		if (c->fsv[i].dev == dev)
			return &c->fsv[i];
	}
	if (!dir)
		return NULL;
	c->fsv = xrealloc(c->fsv, (c->nfs + 1) * sizeof(*c->fsv));
	f = &c->fsv[c->nfs++];
	*f = (struct fsinfo){dev, fs_ident(dev, dir), NULL, 0};
	if (!f->ident || !c->db)
		return f;
	rc = load_rows(c, f);
	if (rc != SQLITE_OK) {
		f->n = 0;
		if (db_rebuild(c, sqlite3_errmsg(c->db)) < 0) {
			/* no database: look-ups find nothing */
			for (size_t i = 0; i < c->nfs; i++)
				c->fsv[i].n = 0;
		}
	}
	return f;
}

static const struct cache_entry *
find_in(const struct fsinfo *f, uint64_t ino)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->v[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && f->v[lo].ino == ino ? &f->v[lo] : NULL;
}

static int
entry_valid(const struct cache_entry *e, const struct cache_key *k)
{
	return e->size == k->size && e->mtime == ns_of(k->mtime, k->mtime_ns) &&
	       e->ctime == ns_of(k->ctime, k->ctime_ns) &&
	       (e->have & HL_DIGEST_HEAD);
}

const struct cache_entry *
cache_find(struct cache *c, const struct cache_key *k, const struct dnode *dir)
{
	const struct fsinfo *f = fs_get(c, k->dev, dir);
	const struct cache_entry *e;

	if (!f || !f->ident)
		return NULL;
	e = find_in(f, k->ino);
	return e && entry_valid(e, k) ? e : NULL;
}

void
cache_note(struct cache *c, const struct cache_key *k,
	   const struct hl_digest *d)
{
	const struct fsinfo *f = fs_get(c, k->dev, NULL);
	const struct cache_entry *old;
	struct note *nt;
	int64_t m = ns_of(k->mtime, k->mtime_ns);
	int64_t ct = ns_of(k->ctime, k->ctime_ns);

	if (!f || !f->ident || !(d->have & HL_DIGEST_HEAD))
		return;
	/* racy: a change within the same tick would keep these times */
	if (m >= c->started - CACHE_RACY_NS || ct >= c->started - CACHE_RACY_NS)
		return;
	if (c->nnotes == c->capnotes) {
		c->capnotes = c->capnotes ? 2 * c->capnotes : 1024;
		c->notes = xrealloc(c->notes, c->capnotes * sizeof(*c->notes));
	}
	nt = &c->notes[c->nnotes++];
	nt->fs = (size_t)(f - c->fsv);
	nt->e = (struct cache_entry){k->ino,  k->size, m,      ct,
				     d->head, d->tail, d->have};
	/* a tail read by an earlier run of the same file is kept */
	old = find_in(f, k->ino);
	if (old && entry_valid(old, k) && !(d->have & HL_DIGEST_TAIL) &&
	    (old->have & HL_DIGEST_TAIL) && old->head == d->head) {
		nt->e.tail = old->tail;
		nt->e.have |= HL_DIGEST_TAIL;
	}
}

/* ---- writing ----------------------------------------------------------- */

static int
fs_id(sqlite3 *db, const char *ident, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO fs(ident) VALUES(?)",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, ident, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	rc = sqlite3_prepare_v2(db, "SELECT id FROM fs WHERE ident = ?", -1,
				&st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, ident, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
}

static int
cmp_note(const void *a, const void *b)
{
	const struct note *x = a, *y = b;

	if (x->fs != y->fs)
		return CMP(x->fs, y->fs);
	return CMP(x->e.ino, y->e.ino);
}

static int
write_notes(struct cache *c)
{
	static const char ins[] =
		"INSERT OR REPLACE INTO file(fs, ino, size, mtime, ctime,"
		" head, tail) VALUES(?, ?, ?, ?, ?, ?, ?)";
	int64_t *ids = xcalloc(c->nfs ? c->nfs : 1, sizeof(*ids));
	sqlite3_stmt *st = NULL;
	struct timespec now;
	int rc;

	/* in key order, the rows go to the B-tree's pages one after another */
	qsort(c->notes, c->nnotes, sizeof(*c->notes), cmp_note);
	rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (size_t i = 0; i < c->nfs && rc == SQLITE_OK; i++) {
		if (c->fsv[i].ident)
			rc = fs_id(c->db, c->fsv[i].ident, &ids[i]);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, ins, -1, &st, NULL);
	for (size_t i = 0; i < c->nnotes && rc == SQLITE_OK; i++) {
		const struct cache_entry *e = &c->notes[i].e;

		sqlite3_bind_int64(st, 1, ids[c->notes[i].fs]);
		sqlite3_bind_int64(st, 2, (int64_t)e->ino);
		sqlite3_bind_int64(st, 3, (int64_t)e->size);
		sqlite3_bind_int64(st, 4, e->mtime);
		sqlite3_bind_int64(st, 5, e->ctime);
		sqlite3_bind_int64(st, 6, (int64_t)e->head);
		if (e->have & HL_DIGEST_TAIL)
			sqlite3_bind_int64(st, 7, (int64_t)e->tail);
		else
			sqlite3_bind_null(st, 7);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK) {
		clock_gettime(CLOCK_REALTIME, &now);
		st = NULL;
		rc = sqlite3_prepare_v2(c->db,
					"INSERT INTO runs(started, written, "
					"files) VALUES(?, ?, ?)",
					-1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, c->started);
			sqlite3_bind_int64(
				st, 2,
				ns_of(now.tv_sec, (uint32_t)now.tv_nsec));
			sqlite3_bind_int64(st, 3, (int64_t)c->nnotes);
			rc = sqlite3_step(st);
			rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		}
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	free(ids);
	return rc;
}

void
cache_close(struct cache *c)
{
	if (!c)
		return;
	if (c->db && c->nnotes) {
		int rc = write_notes(c);

		if (rc == SQLITE_BUSY)
			warnmsg("%s: cache locked by another run, not updated",
				c->path);
		else if (rc != SQLITE_OK)
			warnmsg("%s: cannot update the cache: %s", c->path,
				sqlite3_errstr(rc));
	}
	db_close(c);
	for (size_t i = 0; i < c->nfs; i++) {
		free(c->fsv[i].ident);
		free(c->fsv[i].v);
	}
	free(c->fsv);
	free(c->notes);
	free(c->path);
	free(c);
}
