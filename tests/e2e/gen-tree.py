#!/usr/bin/env python3
"""Deterministic scratch trees for differential tests of hardlink.

    gen-tree.py gen --seed N DIR [DIR...]
        Build the tree for seed N in each DIR (created; must not exist).
        With several DIRs every step is applied to all of them before the
        next step, so each copy gets its inodes in the same relative order
        (ext4 hands out the lowest free inode of a group; interleaving keeps
        the k-th file of every copy in the same rank even when the group has
        holes).  Every mtime is set explicitly, never left to the clock.

    gen-tree.py content DIR     path, type and bytes (sha256) of every entry
    gen-tree.py meta DIR        path, type, mode, owner, mtime (ns), link
                                count and xattrs of every entry
    gen-tree.py partition DIR   regular files grouped by inode: one line per
                                inode, its paths sorted, lines sorted
    gen-tree.py order DIR       the same groups, ordered by inode number
                                (the master tie-break order)
    gen-tree.py snap DIR PREFIX [DIR PREFIX...]
                                all four, into PREFIX.content, PREFIX.meta,
                                PREFIX.partition and PREFIX.order

Paths are relative to DIR and escaped: bytes outside 0x21-0x7e, and the
backslash, are written as \\xHH, so names with spaces, newlines or
non-UTF-8 bytes stay on one unambiguous line.

What a tree holds (every seed has every kind; sizes, counts, names,
placement, attributes and creation order vary with the seed):
  - content classes of several sizes, with same-size groups whose contents
    differ only at the first byte, byte 31, byte 32, the middle or the last;
  - copies whose mode (0644/0600/0755/04755), owner (uid/gid 0, 1000, 1001,
    gid alone), mtime (equal, whole seconds apart, nanoseconds apart within
    one second) or user.* xattrs differ from their class;
  - pre-existing hard links inside duplicate classes (under other names and
    directories), an inode under two names with a copy under one of them
    (-f), a hard-linked pair with no other duplicate, and a duplicate with a
    link under d1/ (so that -x /d1/ sees only part of its links);
  - symlinks (to files, to a directory, dangling), FIFOs, empty files;
  - names with spaces, tabs, newlines, leading dashes and non-UTF-8 bytes,
    nested directories, one basename used in several directories,
    *.bak and keep* names for the -x/-i regex option sets.
No file is all holes (no st_blocks == 0 files) and no file is empty and
identical to a non-empty one; empty files exist but -s 0 must not be used
against util-linux 2.38, which never links them.
"""
import hashlib
import os
import random
import stat
import sys

DIRS = [
    b'd1', b'd1/sub', b'd1/sub/deep', b'd2', b'd2/sub', b'd2/x', b'd2/x/y',
    b'd2/x/y/z', b'with space', b'-dash dir', b'nl\ndir', b'\xff\xfebin',
    b'keep dir',
]
NAMES = [
    b'a', b'b', b'c', b'file.txt', b'same', b'data.bak', b'keep-me',
    b'keepsake', b'with space.txt', b'-rf', b'--help', b'-', b'new\nline',
    b'\xe9t\xe9', b'\xff', b'tab\tname', b'x', b'back\\slash', b'old.bak',
    b' lead space', b'trail space ', b'*', b'q?', b'[br]', b'dup',
    b'.hidden', b'..dots', b'\xc3\x28bad', b'z' * 200,
]
SIZES = [1, 2, 31, 32, 33, 99, 100, 101, 511, 512, 1024, 2999, 3000, 3001,
         4095, 4096, 4097, 8191, 8192, 8193, 12345, 16385]
BIG_SIZES = [65535, 65536, 65537, 70000, 131073]
MODES = [0o644, 0o600, 0o755, 0o4755]
OWNERS = [(0, 0), (1000, 1000), (1001, 1001), (0, 1000)]
XATTR_SETS = [
    [],
    [(b'user.tag', b'x')],
    [(b'user.tag', b'y')],
    [(b'user.a', b'1'), (b'user.b', b'2')],
    [(b'user.b', b'2'), (b'user.a', b'1')],  # same set, other order
    [(b'user.a', b'1'), (b'user.b', b'3')],
    [(b'user.tag', b'x'), (b'user.more', b'm' * 300)],
    [(b'user.empty', b'')],
    [(b'user.empty', b'\x00')],
]


class Plan:
    """The steps that build one tree, computed once from the seed."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.base = 1_500_000_000 + (seed % 100_000) * 10_000
        self.dirs = []
        self.used = set()
        self.files = []      # (path, content, mode, uid, gid, mtime_ns, xattrs)
        self.links = []      # (new path, existing path)
        self.symlinks = []   # (path, target)
        self.fifos = []      # path
        self.build()

    # -- names ----------------------------------------------------------

    def newpath(self, name=None, dirname=None, avoid_d1=False):
        rng = self.rng
        for _ in range(1000):
            d = dirname if dirname is not None else rng.choice(
                [b''] + self.dirs)
            if avoid_d1 and (d == b'd1' or d.startswith(b'd1/')):
                d = b''
            n = name if name is not None else rng.choice(NAMES)
            if name is None and rng.random() < 0.4:
                n += b'.%d' % rng.randrange(1000)
            p = d + b'/' + n if d else n
            if p not in self.used:
                self.used.add(p)
                return p
            name = None if rng.random() < 0.5 else name
        raise RuntimeError('no free name')

    # -- attributes -----------------------------------------------------

    def mtime(self, sec_off=0, ns=None):
        if ns is None:
            ns = self.rng.randrange(1_000_000_000)
        return (self.base + sec_off) * 1_000_000_000 + ns

    def class_attrs(self):
        rng = self.rng
        return {
            'mode': rng.choice([0o644, 0o644, 0o600, 0o755]),
            'owner': rng.choice([(0, 0), (0, 0), (1000, 1000)]),
            'mtime': self.mtime(rng.randrange(4),
                                rng.choice([0, rng.randrange(10**9)])),
            'xattrs': rng.choice([[], [], XATTR_SETS[1], XATTR_SETS[3]]),
        }

    def deviate(self, a, what):
        """A copy of attributes a with one property changed."""
        rng = self.rng
        a = dict(a)
        if what == 'mode':
            a['mode'] = rng.choice([m for m in MODES if m != a['mode']])
        elif what == 'owner':
            a['owner'] = rng.choice([o for o in OWNERS if o != a['owner']])
        elif what == 'sec':
            sec = a['mtime'] // 10**9 - self.base + rng.choice([1, 2, -1])
            a['mtime'] = self.mtime(sec, a['mtime'] % 10**9)
        elif what == 'ns':
            sec = a['mtime'] // 10**9 - self.base
            ns = a['mtime'] % 10**9
            a['mtime'] = self.mtime(sec, rng.choice(
                [n for n in (0, 1, 999_999_999, rng.randrange(10**9))
                 if n != ns] or [0]))
        elif what == 'xattr':
            a['xattrs'] = rng.choice(XATTR_SETS)
        return a

    # -- contents -------------------------------------------------------

    def content(self, size):
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return bytes(size)                      # zeros (written)
        if kind == 1:
            return (b'abc\n' * (size // 4 + 1))[:size]
        return rng.randbytes(size)

    def variants(self, size, n):
        """n contents of one size differing at chosen positions."""
        base = self.content(size)
        out = [base]
        spots = [0, 31, 32, size // 2, size - 1]
        spots = sorted(set(p for p in spots if p < size))
        for i in range(1, n):
            pos = spots[(i - 1) % len(spots)]
            b = bytearray(base)
            b[pos] = (b[pos] + i) % 256
            out.append(bytes(b))
        return out

    # -- the tree -------------------------------------------------------

    def add_file(self, content, a, path=None):
        p = path or self.newpath()
        self.files.append((p, content, a['mode'], a['owner'][0],
                           a['owner'][1], a['mtime'], a['xattrs']))
        return p

    def add_class(self, content, ncopies, devs, same_name=False,
                  extra_links=0, name=None):
        """One content class: ncopies files, some with deviating attrs."""
        rng = self.rng
        a = self.class_attrs()
        if same_name and name is None:
            name = rng.choice(NAMES)
        paths = []
        for i in range(ncopies):
            ai = a if i == 0 or rng.random() < 0.5 else self.deviate(
                a, rng.choice(devs))
            dirname = None
            if same_name:
                dirname = rng.choice([b''] + self.dirs)
            p = self.newpath(name, dirname) if same_name else None
            paths.append(self.add_file(content, ai, p))
        for _ in range(extra_links):
            target = rng.choice(paths)
            nm = os.path.basename(target) if rng.random() < 0.5 else None
            self.links.append((self.newpath(nm), target))
        return paths

    def build(self):
        rng = self.rng
        self.dirs = [d for d in DIRS if rng.random() < 0.8 or
                     d in (b'd1', b'd2', b'nl\ndir', b'\xff\xfebin')]
        # every parent of a chosen directory exists too
        full = set()
        for d in self.dirs:
            parts = d.split(b'/')
            for i in range(1, len(parts) + 1):
                full.add(b'/'.join(parts[:i]))
        self.dirs = sorted(full)
        self.used.update(full)
        devs_all = ['mode', 'owner', 'sec', 'ns', 'xattr']

        sizes = rng.sample(SIZES, 7) + rng.sample(BIG_SIZES, 1)
        for size in sizes:
            for content in self.variants(size, rng.randrange(1, 5)):
                self.add_class(content, rng.randrange(1, 5),
                               rng.sample(devs_all, 2),
                               same_name=rng.random() < 0.3,
                               extra_links=int(rng.random() < 0.3))

        # Classes that single out one property each.
        for devs in (['mode'], ['owner'], ['sec'], ['ns'], ['xattr']):
            self.add_class(self.content(rng.choice(SIZES[2:])),
                           rng.randrange(3, 6), devs)
        # setuid copies (linked to each other, not to the 0755 one).
        a = self.class_attrs()
        a['mode'], a['owner'] = 0o4755, (1000, 1000)
        c = self.content(rng.choice(SIZES))
        for _ in range(2):
            self.add_file(c, a)
        self.add_file(c, self.deviate(a, 'mode'))
        self.add_file(c, dict(a, owner=(1001, 1001)))
        # Duplicate class with pre-existing links (tie-break by inode).
        self.add_class(self.content(rng.choice(SIZES)), rng.randrange(2, 5),
                       ['ns', 'sec'], extra_links=rng.randrange(1, 4))
        # One inode under two names, and a copy under one of them (-f
        # sees two entries for that inode); the copy is sometimes newer.
        a = self.class_attrs()
        c = self.content(rng.choice(SIZES))
        nm = rng.choice(NAMES)
        p = self.add_file(c, a, self.newpath(nm))
        self.links.append((self.newpath(), p))
        self.add_file(c, rng.choice([a, a, self.deviate(a, 'sec')]),
                      self.newpath(nm))
        # Same basename in several directories.
        self.add_class(self.content(rng.choice(SIZES)), rng.randrange(3, 6),
                       ['sec', 'mode'], same_name=True, extra_links=1)
        # A hard-linked pair with no other duplicate.
        a = self.class_attrs()
        p = self.add_file(self.content(rng.choice(SIZES)), a)
        self.links.append((self.newpath(), p))
        # A duplicate whose inode also has a link under d1/ (-x /d1/).
        a = self.class_attrs()
        c = self.content(rng.choice(SIZES))
        p = self.add_file(c, a, self.newpath(avoid_d1=True))
        self.add_file(c, a, self.newpath(avoid_d1=True))
        self.links.append((self.newpath(dirname=rng.choice(
            [d for d in self.dirs if d.startswith(b'd1')])), p))
        # Empty files (never linked by 2.38; default -s 1 skips them).
        a = self.class_attrs()
        for _ in range(rng.randrange(2, 4)):
            self.add_file(b'', a)
        # Files for the regex option sets.
        for nm in (b'x.bak', b'keep-this', b'keep'):
            self.add_class(self.content(rng.choice(SIZES)), 3, ['mode'],
                           same_name=True, name=nm)

        # Creation order is shuffled so inode order says nothing of class.
        rng.shuffle(self.files)

        files = [f[0] for f in self.files]
        ln = self.newpath(b'link-to-file')
        self.symlinks = [
            (ln, self.relto(ln, rng.choice(files))),
            (self.newpath(b'-link\nodd'), b'nowhere/dangling'),
            (self.newpath(b'dirlink', b''), self.dirs[0]),
        ]
        self.fifos = [self.newpath(b'fifo'), self.newpath(b'-fifo two')]

    @staticmethod
    def relto(frm, to):
        depth = frm.count(b'/')
        return b'../' * depth + to

    # -- applying it ----------------------------------------------------

    def apply(self, roots):
        def each(fn):
            for r in roots:
                fn(r)

        each(lambda r: os.mkdir(r))
        for d in self.dirs:
            each(lambda r: os.mkdir(os.path.join(r, d)))
        for f in self.files:
            def write(r, f=f):
                fd = os.open(os.path.join(r, f[0]),
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, 'wb') as fh:
                    fh.write(f[1])
            each(write)
        for new, old in self.links:
            each(lambda r: os.link(os.path.join(r, old), os.path.join(r, new)))
        for p, t in self.symlinks:
            each(lambda r: os.symlink(t, os.path.join(r, p)))
        for p in self.fifos:
            each(lambda r: os.mkfifo(os.path.join(r, p), 0o644))
        # Metadata last: chown before chmod (chown clears setuid), utime
        # after everything else that could touch the mtime.
        for p, _, mode, uid, gid, mt, xattrs in self.files:
            for r in roots:
                fp = os.path.join(r, p)
                for k, v in xattrs:
                    os.setxattr(fp, k, v, follow_symlinks=False)
                os.chown(fp, uid, gid, follow_symlinks=False)
                os.chmod(fp, mode)
                os.utime(fp, ns=(mt, mt))
        for p in self.fifos:
            for r in roots:
                fp = os.path.join(r, p)
                os.utime(fp, ns=(self.mtime(0, 0),) * 2)


# -- inspection ---------------------------------------------------------

def esc(p):
    return ''.join(chr(c) if 0x21 <= c <= 0x7e and c != 0x5c
                   else '\\x%02x' % c for c in p)


def walk(root):
    """(relative path, lstat) of every entry under root, sorted."""
    out = []

    def rec(rel):
        full = os.path.join(root, rel) if rel else root
        for e in sorted(os.listdir(full)):
            r = os.path.join(rel, e) if rel else e
            st = os.lstat(os.path.join(root, r))
            out.append((r, st))
            if stat.S_ISDIR(st.st_mode):
                rec(r)
    rec(b'')
    return out


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as fh:
        for blk in iter(lambda: fh.read(1 << 16), b''):
            h.update(blk)
    return h.hexdigest()[:32]


def listings(root):
    """All four listings of root, from one walk."""
    content, meta, groups = [], [], {}
    for rel, st in walk(root):
        full = os.path.join(root, rel)
        m = st.st_mode
        name = esc(rel) + ' '
        if stat.S_ISREG(m):
            c = 'f %d %s' % (st.st_size, sha(full))
            xs = sorted((k, os.getxattr(full, k, follow_symlinks=False))
                        for k in os.listxattr(full, follow_symlinks=False))
            x = ' %o %d:%d %d %d %s' % (
                stat.S_IMODE(m), st.st_uid, st.st_gid, st.st_mtime_ns,
                st.st_nlink, ','.join('%s=%s' % (k, v.hex()) for k, v in xs))
            groups.setdefault(st.st_ino, []).append(esc(rel))
        elif stat.S_ISLNK(m):
            c, x = 'l ' + esc(os.readlink(full)), ''
        elif stat.S_ISDIR(m):
            c, x = 'd', ' %o' % stat.S_IMODE(m)
        elif stat.S_ISFIFO(m):
            c, x = 'p', ' %o %d' % (stat.S_IMODE(m), st.st_mtime_ns)
        else:
            c, x = '? %o' % m, ''
        content.append(name + c)
        meta.append(name + c + x)
    groups = {k: ' | '.join(sorted(v)) for k, v in groups.items()}
    return {
        'content': content,
        'meta': meta,
        'partition': sorted(groups.values()),
        'order': [groups[k] for k in sorted(groups)],
    }


KINDS = ('content', 'meta', 'partition', 'order')


def main(argv):
    if len(argv) >= 5 and argv[1] == 'gen' and argv[2] == '--seed':
        Plan(int(argv[3])).apply([os.fsencode(d) for d in argv[4:]])
        return 0
    if len(argv) == 3 and argv[1] in KINDS:
        lines = listings(os.fsencode(argv[2]))[argv[1]]
        sys.stdout.write(''.join(l + '\n' for l in lines))
        return 0
    if len(argv) >= 4 and len(argv) % 2 == 0 and argv[1] == 'snap':
        for d, prefix in zip(argv[2::2], argv[3::2]):
            for kind, lines in listings(os.fsencode(d)).items():
                with open(prefix + '.' + kind, 'w') as fh:
                    fh.write(''.join(l + '\n' for l in lines))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
