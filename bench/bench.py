#!/usr/bin/env python3
"""bench/bench.py - the measuring half of bench/run.sh (run.sh builds the
corpora and installs the peers first; see bench/README in RESULTS.md).

For every corpus and tool it runs the dry/list mode on the corpus itself and
the real linking mode on a fresh `cp -a --reflink=never` copy per run (copy
time excluded), alternating the order of the tools in every round, and
records for each run: wall time, user and system CPU, peak RSS (wait4
rusage, as GNU time reports it) and bytes read (rchar and read_bytes from
/proc/PID/io, read while the child is a zombie: waitid(WNOWAIT) first, then
wait4).  Then it checks that every tool found the same duplicates: in dry
runs the partition of (device, inode) into groups of equal content that
each tool lists; after real runs the partition of paths into inodes of the
linked copy.

Environment (all optional):
  CORPUS      corpus folder (default /tmp/hardlink-corpus)
  CORPORA     comma list (default startup,initramfs,usr,biggroup,samesize-lastbyte,npm,large,tiny-many)
  ROUNDS      timed dry rounds (5);  REAL_ROUNDS timed real rounds on small corpora (5)
  REAL_ROUNDS_BIG  real rounds on npm (and tiny-many), where a copy and the removal of the
              previous one cost 60-90 s (2)
  NO_REAL=1   dry runs only;  TINY_REAL=1 also real runs on tiny-many (copies of 1M files)
  TOOLS       comma list restricting the tools (ids as in the tables)
  TIMEOUT     seconds before a run is killed (300; TIMEOUT_TINY=150 on tiny-many);  SLOW (30) / SLOW_RUNS (1): a tool
              whose first run takes more than SLOW s gets only SLOW_RUNS runs
  UL_ALL=1    also run util-linux hardlink on samesize-lastbyte and tiny-many
  MINREAD=0   skip computing the minimum bytes an exact tool must read
  HARDLINK    binary to benchmark (default: a snapshot of build/hardlink)
  OUT         where tables and raw data go (default bench/out)
  SCRATCH     scratch folder: binary snapshot, listings, copies (default CORPUS/bench-scratch)
  MODE        warm (default: the page cache is warmed before each round), cold (the
              page cache is dropped before every timed run: `sync; echo 3 >
              /proc/sys/vm/drop_caches`, root only) or slow (cold, on the throttled
              loop-mounted image that bench/disk.sh sets up); bench/disk.sh sets the next three
  BLKIO_CG    a cgroup v1 blkio directory: every timed run is started inside it (a wrapper
              shell writes its pid to cgroup.procs, then execs the tool) and the read
              requests and bytes it sent to BLKIO_DEV are taken from blkio.throttle.io_serviced
              and io_service_bytes (before and after each run)
  BLKIO_DEV   MAJ:MIN of the device holding the corpora
  TREE_ROOT   corpora are TREE_ROOT/<name> instead of their usual places
"""
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CORPUS = os.environ.get('CORPUS', '/tmp/hardlink-corpus')
SCRATCH = os.environ.get('SCRATCH') or os.path.join(CORPUS, 'bench-scratch')
OUT = os.environ.get('OUT', os.path.join(HERE, 'out'))
ROUNDS = int(os.environ.get('ROUNDS', '5'))
REAL_ROUNDS = int(os.environ.get('REAL_ROUNDS', '5'))
REAL_ROUNDS_BIG = int(os.environ.get('REAL_ROUNDS_BIG', '2'))
TIMEOUT_TINY = float(os.environ.get('TIMEOUT_TINY', '150'))
TIMEOUT = float(os.environ.get('TIMEOUT', '300'))
SLOW = float(os.environ.get('SLOW', '30'))
SLOW_RUNS = int(os.environ.get('SLOW_RUNS', '1'))
NO_REAL = os.environ.get('NO_REAL') == '1'
TINY_REAL = os.environ.get('TINY_REAL') == '1'
UL_ALL = os.environ.get('UL_ALL') == '1'
MINREAD = os.environ.get('MINREAD', '1') != '0'
TOOLS_FILTER = [t for t in os.environ.get('TOOLS', '').split(',') if t]
UL = os.environ.get('UL_HARDLINK', '/usr/bin/hardlink')
HL = os.environ.get('HARDLINK') or os.path.join(SCRATCH, 'hl', 'hardlink')
MODE = os.environ.get('MODE', 'warm')
COLD = MODE in ('cold', 'slow')
BLKIO_CG = os.environ.get('BLKIO_CG')
BLKIO_DEV = os.environ.get('BLKIO_DEV')
TREE_ROOT = os.environ.get('TREE_ROOT')
# a second binary in the same run (the previous build, say): rows 'hardlink-prev'
HL_PREV = os.environ.get('HARDLINK_PREV')

CORPORA = {
    # name: path, real runs?, rmlint script practical?, default-mode rows?, big (fewer real rounds)?
    'npm': dict(path=f'{CORPUS}/npm', real=True, rmlint_real=False, default_mode=False, big=True),
    'initramfs': dict(path=f'{CORPUS}/initramfs', real=True, rmlint_real=True, default_mode=True, big=False),
    'samesize-lastbyte': dict(path=f'{CORPUS}/synthetic/samesize-lastbyte', real=True, rmlint_real=True,
                              default_mode=False, big=False, ul_slow=True),
    'biggroup': dict(path=f'{CORPUS}/synthetic/biggroup', real=True, rmlint_real=True, default_mode=False, big=False),
    'large': dict(path=f'{CORPUS}/synthetic/large', real=True, rmlint_real=True, default_mode=False, big=False),
    'tiny-many': dict(path=f'{CORPUS}/synthetic/tiny-many', real=TINY_REAL, rmlint_real=False,
                      default_mode=False, big=True, ul_slow=True, timeout=TIMEOUT_TINY, no_rewarm=True),
    'usr': dict(path=os.environ.get('USR_TREE', '/usr'), real=False, rmlint_real=False, default_mode=True,
                big=False, system=True),
}
DEFAULT_CORPORA = 'startup,initramfs,usr,biggroup,samesize-lastbyte,npm,large,tiny-many'


# ---------------------------------------------------------------- tools
# Each tool: label, mode ('content' = content only, 'default' = equal
# mode/owner/mtime required), ref (the row its ratios and check refer to),
# dry(D, out) -> (argv, stdout file), real(D, out) -> (argv, stdout file),
# parse(D, out) -> list of groups of paths (dry listing).
def T(**kw):
    return kw


def _rm_script(D, out):
    return (['sh', '-c', 'rmlint -T df --hidden --no-followlinks -c sh:hardlink -o sh:./rmlint-hl.sh "$1" '
             '&& ./rmlint-hl.sh -d -x', 'sh', D], None)


TOOLS = {
    'hardlink': T(label='hardlink', mode='content', ref='hardlink',
                  dry=lambda D, o: ([HL, '-n', '-q', '-c', D], None),
                  real=lambda D, o: ([HL, '-q', '-c', D], None),
                  check=lambda D: [HL, '-n', '-c', '-l', '-z', D], check_parse='hl-list',
                  cmd_dry='hardlink -n -q -c DIR', cmd_real='hardlink -q -c DIR',
                  cmd_check='hardlink -n -c -l -z DIR'),
    'hardlink-j1': T(label='hardlink -j1', mode='content', ref='hardlink',
                     dry=lambda D, o: ([HL, '-n', '-q', '-c', '-j', '1', D], None), real=None,
                     check=lambda D: [HL, '-n', '-c', '-j', '1', '-l', '-z', D], check_parse='hl-list',
                     cmd_dry='hardlink -n -q -c -j 1 DIR', cmd_check='hardlink -n -c -j 1 -l -z DIR'),
    'util-linux': T(label='util-linux hardlink', mode='content', ref='hardlink',
                    dry=lambda D, o: ([UL, '-n', '-q', '-c', D], None),
                    real=lambda D, o: ([UL, '-q', '-c', D], None),
                    check=lambda D: [UL, '-n', '-c', '-v', D], check_parse='ul-verbose',
                    cmd_dry='/usr/bin/hardlink -n -q -c DIR', cmd_real='/usr/bin/hardlink -q -c DIR',
                    cmd_check='/usr/bin/hardlink -n -c -v DIR'),
    'hardlink-default': T(label='hardlink (default mode)', mode='default', ref='hardlink-default',
                          dry=lambda D, o: ([HL, '-n', '-q', D], None),
                          real=lambda D, o: ([HL, '-q', D], None),
                          check=lambda D: [HL, '-n', '-l', '-z', D], check_parse='hl-list',
                          cmd_dry='hardlink -n -q DIR', cmd_real='hardlink -q DIR',
                          cmd_check='hardlink -n -l -z DIR'),
    'util-linux-default': T(label='util-linux hardlink (default mode)', mode='default', ref='hardlink-default',
                            dry=lambda D, o: ([UL, '-n', '-q', D], None),
                            real=lambda D, o: ([UL, '-q', D], None),
                            check=lambda D: [UL, '-n', '-v', D], check_parse='ul-verbose',
                            cmd_dry='/usr/bin/hardlink -n -q DIR', cmd_real='/usr/bin/hardlink -q DIR',
                            cmd_check='/usr/bin/hardlink -n -v DIR'),
    'jdupes': T(label='jdupes', mode='content', ref='hardlink',
                dry=lambda D, o: (['jdupes', '-r', '-q', D], o),
                real=lambda D, o: (['jdupes', '-r', '-L', '-q', D], None), parse='blank-sets',
                cmd_dry='jdupes -r -q DIR > list', cmd_real='jdupes -r -L -q DIR'),
    'rdfind': T(label='rdfind', mode='content', ref='hardlink',
                dry=lambda D, o: (['rdfind', '-dryrun', 'true', '-makehardlinks', 'true', D], None),
                real=lambda D, o: (['rdfind', '-makehardlinks', 'true', D], None), parse='rdfind',
                cmd_dry='rdfind -dryrun true -makehardlinks true DIR   (in a scratch cwd; writes results.txt)',
                cmd_real='rdfind -makehardlinks true DIR   (in a scratch cwd)'),
    'rmlint': T(label='rmlint', mode='content', ref='hardlink',
                dry=lambda D, o: (['rmlint', '-T', 'df', '--hidden', '--no-followlinks', '-o', 'fdupes:' + o, D], None),
                real=_rm_script, parse='blank-sets',
                cmd_dry='rmlint -T df --hidden --no-followlinks -o fdupes:list DIR',
                cmd_real="sh -c 'rmlint -T df --hidden --no-followlinks -c sh:hardlink -o sh:./rmlint-hl.sh DIR "
                         "&& ./rmlint-hl.sh -d -x'   (in a scratch cwd)"),
    'fdupes': T(label='fdupes', mode='content', ref='hardlink',
                dry=lambda D, o: (['fdupes', '-r', '-n', '-q', D], o), real=None, parse='blank-sets',
                cmd_dry='fdupes -r -n -q DIR > list'),
}
if HL_PREV:
    TOOLS['hardlink-prev'] = T(label='hardlink (previous)', mode='content', ref='hardlink',
                               dry=lambda D, o: ([HL_PREV, '-n', '-q', '-c', D], None), real=None,
                               check=lambda D: [HL_PREV, '-n', '-c', '-l', '-z', D], check_parse='hl-list',
                               cmd_dry='HARDLINK_PREV -n -q -c DIR', cmd_check='HARDLINK_PREV -n -c -l -z DIR')
ORDER = ['hardlink', 'hardlink-prev', 'hardlink-j1', 'util-linux', 'hardlink-default', 'util-linux-default',
         'jdupes', 'rdfind', 'rmlint', 'fdupes']


def log(*a):
    print(time.strftime('%H:%M:%S'), *a, flush=True)


# ---------------------------------------------------------------- measuring
MEASURE = os.path.join(SCRATCH, 'measure')


HZ = os.sysconf('SC_CLK_TCK')
QUIET = float(os.environ.get('QUIET', '0.25'))
QUIET_WAIT = float(os.environ.get('QUIET_WAIT', '2'))
WAIT_BUDGET = [float(os.environ.get('WAIT_BUDGET', '200'))]     # seconds of waiting, whole run
RETRY_BUDGET = [float(os.environ.get('RETRY_BUDGET', '300'))]   # seconds of re-running, whole run
DISTURBED = float(os.environ.get('DISTURBED', '0.5'))
RETRY = int(os.environ.get('RETRY', '1'))


def cpu_busy():
    """CPU seconds the whole machine has been busy (all cores)."""
    v = list(map(int, open('/proc/stat').readline().split()[1:]))
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / HZ


def wait_quiet():
    """Wait (up to QUIET_WAIT s) until other processes use less than QUIET cores."""
    t0 = time.time()
    end = t0 + min(QUIET_WAIT, max(WAIT_BUDGET[0], 0.25))
    while True:
        b0 = cpu_busy()
        time.sleep(0.25)
        used = (cpu_busy() - b0) / 0.25
        if used < QUIET or time.time() > end:
            WAIT_BUDGET[0] -= max(0.0, time.time() - t0 - 0.25)
            return used


def measure(argv, cwd, stdout=None, timeout=TIMEOUT):
    """Run argv under bench/measure (a tiny C launcher, so that the child does not
    inherit this Python process's peak RSS): wall, user, sys, maxrss (KiB),
    rchar, read_bytes, exit code, killed."""
    if COLD:
        drop_caches()
    load = float(open('/proc/loadavg').read().split()[0])
    if BLKIO_CG:
        argv = ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', BLKIO_CG] + argv
        io0 = blkio_read()
    b0 = cpu_busy()
    r = subprocess.run([MEASURE, '-d', cwd, '-o', stdout or os.devnull, '-t', str(timeout), '--'] + argv,
                       capture_output=True, text=True)
    b1 = cpu_busy()
    io = None
    if BLKIO_CG:
        io1 = blkio_read()
        io = dict(reqs=io1[0] - io0[0], bytes=io1[1] - io0[1])
    f = r.stdout.split()
    if r.returncode != 0 or len(f) != 8:
        raise RuntimeError(f'measure failed: {argv}: {r.stderr}')
    try:
        err = open(os.path.join(cwd, 'stderr'), errors='replace').read()[-2000:]
    except OSError:
        err = ''
    return dict(wall=float(f[0]), user=float(f[1]), sys=float(f[2]), maxrss=int(f[3]),
                rchar=int(f[4]) if int(f[4]) >= 0 else None,
                read_bytes=int(f[5]) if int(f[5]) >= 0 else None,
                rc=int(f[6]), killed=f[7] == '1', load=load, stderr=err,
                disk_reqs=io['reqs'] if io else None, disk_bytes=io['bytes'] if io else None,
                # cores used by everything else while it ran (other processes, kernel threads)
                # (/proc/stat counts in 10 ms ticks: meaningless for runs under 0.2 s)
                others=max(0.0, (b1 - b0 - float(f[1]) - float(f[2])) / float(f[0])) if float(f[0]) >= 0.2 else None)


SYNC_PATH = [None]   # the corpus being measured: syncfs of its filesystem only


def drop_caches():
    """sync; echo 3 > /proc/sys/vm/drop_caches (root only; checked in main).  The sync is
    syncfs(2) of the corpus's filesystem (`sync -f`): the corpus's pages must be clean to be
    dropped, and a global sync would wait for every other writer on the machine."""
    if SYNC_PATH[0]:
        subprocess.run(['sync', '-f', SYNC_PATH[0]], check=True)
    else:
        os.sync()
    with open('/proc/sys/vm/drop_caches', 'w') as f:
        f.write('3\n')


def blkio_read():
    """(read requests, read bytes) BLKIO_CG has sent to BLKIO_DEV so far."""
    def get(name):
        for line in open(os.path.join(BLKIO_CG, name)):
            f = line.split()
            if len(f) == 3 and f[0] == BLKIO_DEV and f[1] == 'Read':
                return int(f[2])
        return 0
    return get('blkio.throttle.io_serviced'), get('blkio.throttle.io_service_bytes')


def is_slow(m):
    """A run over SLOW s (not merely slowed down by other processes): such a tool gets SLOW_RUNS runs."""
    return (m['user'] + m['sys'] > SLOW or m['wall'] > 2 * SLOW
            or (m['wall'] > SLOW and (m['others'] is None or m['others'] <= DISTURBED)))


def measure_quiet(argv, cwd, stdout=None, retry=RETRY, timeout=TIMEOUT):
    """measure() after waiting for a quiet machine; runs disturbed by other
    processes (> DISTURBED cores) are repeated up to `retry` times unless
    they took more than SLOW s."""
    for attempt in range(retry + 1):
        wait_quiet()
        m = measure(argv, cwd, stdout, timeout)
        m['attempts'] = attempt + 1
        if m['others'] is None or m['others'] <= DISTURBED or m['wall'] > SLOW or m['killed'] \
                or RETRY_BUDGET[0] < m['wall'] or attempt == retry:
            break
        RETRY_BUDGET[0] -= m['wall']
    return m


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=False, **kw)


# ---------------------------------------------------------------- listings -> partitions
def parse_hl_list(text):
    groups = {}
    for rec in text.split('\0'):
        if not rec:
            continue
        rec = rec.lstrip('\n')
        gid, _, path = rec.partition('\t')
        groups.setdefault(gid, []).append(path)
    return list(groups.values())


def parse_blank_sets(text):
    groups, cur = [], []
    for line in text.split('\n'):
        if line.strip() == '':
            if cur:
                groups.append(cur)
            cur = []
        else:
            cur.append(line)
    if cur:
        groups.append(cur)
    return groups


def parse_rdfind(text):
    groups = {}
    for line in text.split('\n'):
        if not line or line.startswith('#'):
            continue
        f = line.split(' ', 7)
        if len(f) < 8:
            continue
        groups.setdefault(abs(int(f[1])), []).append(f[7])
    return list(groups.values())


UL_RE = re.compile(r'^(?:\[DryRun\] )?Linking (.*) \(-[^()]*\)$')


def parse_ul_verbose(text):
    """Union-find over 'Linking A to B (-N KiB)' lines."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for line in text.split('\n'):
        m = UL_RE.match(line)
        if not m:
            continue
        body = m.group(1)
        # split at the ' to ' that leaves two existing paths
        pos = [i for i in range(len(body)) if body.startswith(' to ', i)]
        pair = None
        for i in pos:
            a, b = body[:i], body[i + 4:]
            if os.path.lexists(a) and os.path.lexists(b):
                pair = (a, b)
                break
        if pair is None and pos:
            pair = (body[:pos[0]], body[pos[0] + 4:])
        if pair:
            parent[find(pair[0])] = find(pair[1])
    groups = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return list(groups.values())


PARSERS = {'hl-list': parse_hl_list, 'blank-sets': parse_blank_sets, 'rdfind': parse_rdfind,
           'ul-verbose': parse_ul_verbose}


def inode_partition(groups):
    """groups of paths -> (frozenset of frozensets of (dev, ino)), {key: (path, size)}.
    Only regular files of size > 0 count; groups of < 2 distinct inodes are dropped."""
    part, names = set(), {}
    for g in groups:
        keys = set()
        for p in g:
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not (st.st_mode & 0o170000 == 0o100000) or st.st_size == 0:
                continue
            k = (st.st_dev, st.st_ino)
            keys.add(k)
            names.setdefault(k, (p, st.st_size))
        if len(keys) >= 2:
            part.add(frozenset(keys))
    return frozenset(part), names


def tree_partition(root):
    """Paths (relative) of regular non-empty files grouped by inode, groups of >= 2."""
    by = {}
    for d, dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if st.st_mode & 0o170000 == 0o100000 and st.st_size > 0:
                by.setdefault((st.st_dev, st.st_ino), []).append((os.path.relpath(p, root), st.st_size))
    part, saved = set(), 0
    for v in by.values():
        if len(v) >= 2:
            part.add(frozenset(p for p, _ in v))
    return frozenset(part)


def part_stats(part, sizes=None):
    """number of groups, files that are (or would be) replaced by a link, bytes saved."""
    links = sum(len(g) - 1 for g in part)
    saved = None
    if sizes is not None:
        saved = sum((len(g) - 1) * sizes[next(iter(g))][1] for g in part)
    return dict(groups=len(part), links=links, saved=saved)


def diff_parts(a, b, names_a, names_b, limit=10):
    only_a, only_b = a - b, b - a
    lines = [f'{len(only_a)} groups only in the tool, {len(only_b)} only in the reference']

    def show(g, names):
        return ' | '.join(sorted(str(names.get(k, (k,))[0]) for k in g)[:6]) + (' ...' if len(g) > 6 else '')
    for g in list(only_a)[:limit]:
        lines.append('tool: ' + show(g, names_a))
    for g in list(only_b)[:limit]:
        lines.append('ref:  ' + show(g, names_b))
    return '\n'.join(lines)


# ---------------------------------------------------------------- minimum read
def first_diff(a, b):
    """index of the first differing byte of two equal-length bytes (binary search)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo if a[lo] != b[lo] else hi


def min_read(root):
    """Bytes an exact tool must read (content mode): per inode in a size class
    of >= 2 inodes, the whole file if it has a duplicate, else up to and
    including the first byte where it differs from every other candidate."""
    by_size, seen = {}, set()
    nfiles = 0
    for d, dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if st.st_mode & 0o170000 != 0o100000 or st.st_size == 0:
                continue
            nfiles += 1
            k = (st.st_dev, st.st_ino)
            if k in seen:
                continue
            seen.add(k)
            by_size.setdefault(st.st_size, []).append(p)
    CH = 1 << 16
    PG = 4096
    total = cand = pages = 0

    def add(size, upto):
        nonlocal total, pages
        total += min(size, upto)
        pages += min(size, -(-upto // PG) * PG)
    for size, paths in by_size.items():
        if len(paths) < 2:
            continue
        cand += len(paths)
        # each work item: (list of paths sharing the first `off` bytes, off)
        work = [(paths, 0)]
        while work:
            grp, off = work.pop()
            n = min(CH, size - off)
            chunks = []
            for p in grp:
                try:
                    fd = os.open(p, os.O_RDONLY)
                    try:
                        chunks.append((os.pread(fd, n, off), p))
                    finally:
                        os.close(fd)
                except OSError:
                    pass
            sub = {}
            for c, p in chunks:
                sub.setdefault(c, []).append(p)
            keys = sorted(sub)
            for i, c in enumerate(keys):
                ps = sub[c]
                if len(ps) >= 2:
                    if off + n >= size:
                        for _ in ps:                 # duplicates: read completely
                            add(size, size)
                    else:
                        work.append((ps, off + n))
                else:   # unique from here: up to the first byte where it differs from its closest sibling
                    best = 0
                    if i > 0:
                        best = max(best, first_diff(c, keys[i - 1]))
                    if i + 1 < len(keys):
                        best = max(best, first_diff(c, keys[i + 1]))
                    add(size, off + best + 1)
    return dict(min_read=total, min_read_pages=pages, candidates=cand, files=nfiles)


def min_read_cached(name, root):
    st = os.stat(root)
    key = f'{root}:{st.st_mtime_ns}'
    f = os.path.join(SCRATCH, f'minread-{name}.json')
    try:
        d = json.load(open(f))
        if d.get('key') == key:
            return d
    except (OSError, ValueError):
        pass
    t = time.time()
    d = min_read(root)
    d['key'] = key
    d['seconds'] = round(time.time() - t, 1)
    json.dump(d, open(f, 'w'))
    return d


# ---------------------------------------------------------------- running a corpus
def rotate(xs, r):
    r %= len(xs)
    return xs[r:] + xs[:r]


def summary(runs):
    ok = [r for r in runs if not r['killed']]
    if not ok:
        return dict(n=0, killed=True, wall=runs[0]['wall'] if runs else None)
    med = lambda k: statistics.median([r[k] for r in ok if r[k] is not None]) if any(r[k] is not None for r in ok) else None
    return dict(n=len(ok), killed=len(ok) < len(runs), wall=med('wall'),
                wall_min=min(r['wall'] for r in ok), wall_max=max(r['wall'] for r in ok),
                cpu=statistics.median([r['user'] + r['sys'] for r in ok]),
                user=med('user'), sys=med('sys'),
                maxrss=med('maxrss'), rchar=med('rchar'), read_bytes=med('read_bytes'),
                disk_reqs=med('disk_reqs') if all('disk_reqs' in r for r in ok) else None,
                rc=sorted({r['rc'] for r in ok}), load=max(r['load'] for r in ok),
                others=statistics.median([r['others'] for r in ok if r.get('others') is not None])
                if any(r.get('others') is not None for r in ok) else None)


def fresh_copy(src, dst):
    """cp -a --reflink=never src dst, deleting the previous copy meanwhile; then sync."""
    assert dst.startswith(SCRATCH + '/')
    rm = None
    if os.path.lexists(dst):
        trash = dst + '.trash.%d' % time.monotonic_ns()
        os.rename(dst, trash)
        rm = subprocess.Popen(['rm', '-rf', trash])
    t = time.time()
    subprocess.run(['cp', '-a', '--reflink=never', src, dst], check=True)
    if rm:
        rm.wait()
    os.sync()
    return time.time() - t


def run_corpus(name, cfg, tools_dry, tools_real, results, notes):
    D = cfg['path']
    SYNC_PATH[0] = D
    wd = os.path.join(SCRATCH, 'cwd')
    od = os.path.join(SCRATCH, 'lists', name)
    os.makedirs(wd, exist_ok=True)
    os.makedirs(od, exist_ok=True)
    res = results.setdefault(name, dict(path=D, dry={}, real={}))
    nf = sum(len(f) for _, _, f in os.walk(D))
    res['files'] = nf
    log(f'== {name}: {D} ({nf} names)')

    # warm the page cache (this machine pages out memory left untouched for 60 s,
    # see RESULTS.md, so corpora are re-read before every round when that is cheap)
    def warm():
        if not COLD:
            sh(f"find '{D}' -type f -print0 | xargs -0 -r cat > /dev/null")
    if cfg.get('system') and not COLD:
        log('   warm-up round (untimed)')
        for t in tools_dry:
            if t.startswith('util-linux'):
                continue
            argv, so = TOOLS[t]['dry'](D, os.path.join(od, t + '.warm'))
            measure(argv, wd, so)
    else:
        warm()

    if MINREAD and not cfg.get('system'):
        log('   minimum read (content mode) ...')
        res['minread'] = min_read_cached(name, D)
        log(f"   minimum read: {res['minread']['min_read']} bytes, {res['minread']['candidates']} candidates")

    # ---- dry rounds
    runs = {t: [] for t in tools_dry}
    cap = {t: ROUNDS for t in tools_dry}
    for r in range(ROUNDS):
        if r and not cfg.get('system') and not cfg.get('no_rewarm'):
            warm()
        for t in rotate(tools_dry, r):
            if len(runs[t]) >= cap[t]:
                continue
            argv, so = TOOLS[t]['dry'](D, os.path.join(od, t + '.out'))
            m = measure_quiet(argv, wd, so, timeout=cfg.get('timeout', TIMEOUT))
            runs[t].append(m)
            if m['killed'] or is_slow(m):
                cap[t] = min(cap[t], 1 if m['killed'] else SLOW_RUNS)
            log(f"   dry {r + 1}/{ROUNDS} {t:20s} {m['wall']:9.3f} s  cpu {m['user'] + m['sys']:8.3f}  "
                f"rss {m['maxrss'] / 1024:7.1f} MiB  rchar {m['rchar'] or 0:>13}  disk {m['read_bytes'] or 0:>11}  "
                f"reqs {m['disk_reqs']}  rc {m['rc']}  others {m['others'] if m['others'] is None else round(m['others'], 2)}"
                + ('  KILLED' if m['killed'] else ''))
            if t == 'rdfind':
                try:
                    shutil.copy(os.path.join(wd, 'results.txt'), os.path.join(od, 'rdfind.out'))
                except OSError:
                    pass
    for t in tools_dry:
        res['dry'][t] = dict(summary=summary(runs[t]), runs=runs[t])

    # ---- dry check: partition of inodes into groups of equal content
    parts = {}
    for t in tools_dry:
        tool = TOOLS[t]
        if runs[t] and all(x['killed'] for x in runs[t]):
            res['dry'][t]['check'] = 'not finished'
            continue
        if 'check' in tool:
            out = os.path.join(od, t + '.check')
            m = measure(tool['check'](D), wd, out, timeout=max(TIMEOUT, 600))
            text = open(out, 'rb').read().decode('utf-8', 'surrogateescape')
            groups = PARSERS[tool['check_parse']](text)
        else:
            out = os.path.join(od, t + '.out')
            try:
                text = open(out, 'rb').read().decode('utf-8', 'surrogateescape')
            except OSError:
                text = ''
            groups = PARSERS[tool['parse']](text)
        parts[t] = inode_partition(groups)
        res['dry'][t]['found'] = part_stats(parts[t][0], parts[t][1])
    if 'hardlink' in tools_dry:
        m = measure([HL, '-n', '-c', '-v', D], wd, os.path.join(od, 'hardlink.v'))
        for line in open(os.path.join(od, 'hardlink.v'), errors='replace'):
            if line.startswith(('Read:', 'Linked:', 'Saved:', 'Files:')):
                res['dry'].setdefault('hardlink_v', []).append(line.strip())
    for t in tools_dry:
        if t not in parts:
            continue
        ref = TOOLS[t]['ref']
        if ref == t or ref not in parts:
            res['dry'][t]['check'] = 'reference' if ref == t else 'no reference'
            continue
        if parts[t][0] == parts[ref][0]:
            res['dry'][t]['check'] = 'same'
        else:
            d = diff_parts(parts[t][0], parts[ref][0], parts[t][1], parts[ref][1])
            res['dry'][t]['check'] = 'DIFFERENT'
            res['dry'][t]['diff'] = d
            log(f'   CHECK {t} vs {ref}: {d.splitlines()[0]}')
    log('   dry checks: ' + ', '.join(f"{t}={res['dry'][t].get('check')}" for t in tools_dry))

    # expected result of a real run, from the reference dry runs: the paths of
    # each group of equal inodes become one inode (pre-existing links stay)
    expected = {}
    if tools_real:
        paths = {}
        for d, dirs, files in os.walk(D):
            for f in files:
                p = os.path.join(d, f)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if st.st_mode & 0o170000 == 0o100000 and st.st_size > 0:
                    paths.setdefault((st.st_dev, st.st_ino), []).append(os.path.relpath(p, D))
        for ref in {TOOLS[t]['ref'] for t in tools_real}:
            if ref not in parts:
                continue
            grouped, exp = set(), set()
            for g in parts[ref][0]:
                exp.add(frozenset(p for k in g for p in paths.get(k, ())))
                grouped |= g
            for k, ps in paths.items():
                if k not in grouped and len(ps) >= 2:
                    exp.add(frozenset(ps))
            expected[ref] = frozenset(exp)

    # ---- real rounds on fresh copies
    if not tools_real:
        return
    rounds = REAL_ROUNDS_BIG if cfg.get('big') else REAL_ROUNDS
    copy = os.path.join(SCRATCH, 'copy-' + name)
    runs = {t: [] for t in tools_real}
    cap = {t: rounds for t in tools_real}
    rparts = {}
    copy_times = []
    for r in range(rounds):
        for t in rotate(tools_real, r):
            if len(runs[t]) >= cap[t]:
                continue
            copy_times.append(fresh_copy(D, copy))
            argv, so = TOOLS[t]['real'](copy, None)
            for f in os.listdir(wd):
                os.unlink(os.path.join(wd, f))
            m = measure_quiet(argv, wd, so, retry=0, timeout=cfg.get('timeout', TIMEOUT))
            runs[t].append(m)
            if m['killed'] or is_slow(m):
                cap[t] = min(cap[t], 1 if m['killed'] else SLOW_RUNS)
            log(f"   real {r + 1}/{rounds} {t:20s} {m['wall']:9.3f} s  cpu {m['user'] + m['sys']:8.3f}  "
                f"rss {m['maxrss'] / 1024:7.1f} MiB  rchar {m['rchar'] or 0:>13}  rc {m['rc']}  others {m['others'] if m['others'] is None else round(m['others'], 2)}"
                + ('  KILLED' if m['killed'] else ''))
            if t not in rparts and not m['killed']:
                rparts[t] = tree_partition(copy)
    shutil.rmtree(copy, ignore_errors=True)
    os.sync()
    res['copy_seconds'] = statistics.median(copy_times) if copy_times else None
    for t in tools_real:
        res['real'][t] = dict(summary=summary(runs[t]), runs=runs[t])
        if t not in rparts:
            res['real'][t]['check'] = 'not finished'
            continue
        res['real'][t]['found'] = part_stats(rparts[t])
        ref = TOOLS[t]['ref']
        if ref not in expected:
            res['real'][t]['check'] = 'no reference'
        elif rparts[t] == expected[ref]:
            res['real'][t]['check'] = 'same'
        else:
            a, b = rparts[t], expected[ref]
            res['real'][t]['check'] = 'DIFFERENT'
            res['real'][t]['diff'] = (f'{len(a - b)} inode groups only in the tool, {len(b - a)} only in the expected '
                                      f'result (the reference dry run)\n'
                                      + '\n'.join('tool:     ' + ' | '.join(sorted(g)[:6]) for g in list(a - b)[:10])
                                      + '\n' + '\n'.join('expected: ' + ' | '.join(sorted(g)[:6]) for g in list(b - a)[:10]))
            log(f"   CHECK real {t}: {res['real'][t]['diff'].splitlines()[0]}")
    log('   real checks: ' + ', '.join(f"{t}={res['real'][t].get('check')}" for t in tools_real))


# ---------------------------------------------------------------- report
def fmt_s(x):
    if x is None:
        return '–'
    return f'{x:.3f}' if x < 10 else f'{x:.1f}'


def fmt_mib(x, unit=1):
    if x is None:
        return '–'
    v = x * unit / 1048576
    return f'{v:.1f}' if v < 100 else f'{v:.0f}'


def ratio(a, b):
    if a is None or b is None or b == 0:
        return '–'
    return f'{a / b:.2f}'


def table(name, mode, res):
    rows = res[mode]
    ks = [t for t in ORDER if t in rows]
    if not ks:
        return ''
    reqs = any(rows[t]['summary'].get('disk_reqs') is not None for t in ks)
    out = [f'| tool | mode | runs | wall s, median (min–max) | CPU s (user+sys) | peak RSS MiB | read MiB (rchar) '
           f'| disk MiB | ' + ('disk read requests | requests ×hl | ' if reqs else '')
           + 'wall ×hl | CPU ×hl | RSS ×hl | read ×hl | groups / links | same result | others |',
           '|---|---|--:|--:|--:|--:|--:|--:|' + ('--:|--:|' if reqs else '') + '--:|--:|--:|--:|--:|---|--:|']
    for t in ks:
        s = rows[t]['summary']
        ref = rows.get(TOOLS[t]['ref'], {}).get('summary', {})
        f = rows[t].get('found') or {}
        if s.get('n', 0) == 0:
            wall = f"> {s['wall']:.0f} (killed)" if s.get('killed') and s.get('wall') else '–'
            out.append(f"| {TOOLS[t]['label']} | {TOOLS[t]['mode']} | 0 | {wall} | | | | | | | | | | {rows[t].get('check', '')} | |")
            continue
        wall = f"{fmt_s(s['wall'])} ({fmt_s(s['wall_min'])}–{fmt_s(s['wall_max'])})" if s['n'] > 1 else fmt_s(s['wall'])
        chk = rows[t].get('check', '')
        oth = '–' if s.get('others') is None else f"{s['others']:.2f}"
        if f:
            gl = f"{f['groups']} / {f['links']}"
        else:
            gl = ''
        out.append(f"| {TOOLS[t]['label']} | {TOOLS[t]['mode']} | {s['n']} | {wall} | {fmt_s(s['cpu'])} | "
                   f"{fmt_mib(s['maxrss'], 1024)} | {fmt_mib(s['rchar'])} | {fmt_mib(s['read_bytes'])} | "
                   + (f"{'–' if s.get('disk_reqs') is None else round(s['disk_reqs'])} | "
                      f"{ratio(s.get('disk_reqs'), ref.get('disk_reqs'))} | " if reqs else '')
                   + f"{ratio(s['wall'], ref.get('wall'))} | "
                   f"{ratio(s['cpu'], ref.get('cpu'))} | {ratio(s['maxrss'], ref.get('maxrss'))} | "
                   f"{ratio(s['rchar'], ref.get('rchar'))} | {gl} | {chk} | {oth} |")
    return '\n'.join(out)


def report(results, meta):
    L = ['# Benchmark run', '', f"Date: {meta['date']}  ", f"Mode: {meta['mode']}  ", f"Machine: {meta['machine']}  ",
         f"hardlink: {meta['hardlink']}  ", f"Peers: {meta['peers']}  ",
         f"Settings: {meta['settings']}", '',
         'Columns: wall = median of the timed runs (min–max); CPU = user+sys; peak RSS = ru_maxrss; read = rchar '
         'from /proc/PID/io (bytes returned by read-type calls, page-cache hits and shared-library loading '
         'included, mmap not counted); disk = read_bytes from /proc/PID/io, bytes fetched from the disk (0 when '
         'the page cache was warm); ×hl = ratio to the hardlink row of the same mode in the same run '
         '(below 1: the peer is better). groups / links = groups of equal content found and files that '
         'are (or would be) replaced by a link. same result: dry runs — the (device, inode) groups of equal '
         'content the tool lists equal those `hardlink -l` lists in the same mode; real runs — the paths of '
         'the linked copy grouped by inode equal the groups of the reference dry run. "content" rows compare '
         'contents only (`-c` for both hardlinks; jdupes, rdfind, rmlint and fdupes always do); "default" rows '
         'require equal mode, owner and mtime as well (how dracut calls hardlink). others = median CPU cores '
         'used by everything else (other processes, kernel threads such as writeback) while the tool ran '
         '(– for runs under 0.2 s, too short for /proc/stat\'s 10 ms ticks); each run first waits (up to '
         f'{QUIET_WAIT:.0f} s) until others use less than {QUIET} cores, and a dry run disturbed by more than '
         f'{DISTURBED} cores is repeated (up to {RETRY} time(s)) unless it took more than {SLOW:.0f} s, within '
         f"budgets of {os.environ.get('WAIT_BUDGET', '200')} s of waiting and "
         f"{os.environ.get('RETRY_BUDGET', '300')} s of repeating for the whole run.", '']
    if meta.get('startup'):
        L += ['## Start-up: `hardlink -c a b` on two identical 4 KiB files (hyperfine, files recreated before each run)',
              '', meta['startup'], '']
    for name, res in results.items():
        L.append(f"## {name} — `{res['path']}` ({res['files']} names)")
        L.append('')
        if res.get('minread'):
            mr = res['minread']
            hl = res['dry'].get('hardlink', {}).get('summary', {}).get('rchar')
            L.append(f"Minimum an exact tool must read (content mode): {mr['min_read']} bytes "
                     f"({mr['min_read'] / 1048576:.1f} MiB, {mr['candidates']} candidate inodes); "
                     f"{mr['min_read_pages']} bytes if every read is rounded up to a 4 KiB page. "
                     f"hardlink -n -c read (rchar, libraries and /proc included) {hl} bytes = "
                     f"{ratio(hl, mr['min_read'])}× the minimum, {ratio(hl, mr['min_read_pages'])}× the page-rounded minimum.")
            L.append('')
        if res['dry'].get('hardlink_v'):
            L.append('`hardlink -n -c -v`: ' + '; '.join(res['dry']['hardlink_v']))
            L.append('')
        for mode, title in (('dry', 'Dry run / list mode, on the corpus itself'),
                            ('real', 'Real linking, on a fresh copy per run (copy time excluded)')):
            tb = table(name, mode, res)
            if tb:
                L.append(f'### {title}')
                if mode == 'real' and res.get('copy_seconds'):
                    L.append(f"(each copy + sync took {res['copy_seconds']:.1f} s, not counted)")
                L.append('')
                L.append(tb)
                L.append('')
                for t, row in res[mode].items():
                    if not isinstance(row, dict) or 'runs' not in row:
                        continue
                    errs = sorted({r['stderr'].strip().splitlines()[0] for r in row['runs']
                                   if r['rc'] != 0 and r['stderr'].strip()})
                    if errs:
                        L.append(f"{TOOLS[t]['label']} exited with status "
                                 f"{sorted({r['rc'] for r in row['runs']})}; stderr: `{'`; `'.join(errs[:3])}`")
                        L.append('')
                    if row.get('diff'):
                        L.append(f'Difference {t} vs {TOOLS[t]["ref"]}:')
                        L.append('```')
                        L.append(row['diff'])
                        L.append('```')
                        L.append('')
        for n in res.get('notes', []):
            L.append(f'- {n}')
        if res.get('notes'):
            L.append('')
    L.append('## Commands')
    L.append('')
    L.append('| tool | dry / list | real | listing used for the check |')
    L.append('|---|---|---|---|')
    for t in [t for t in ORDER if t in TOOLS]:
        tool = TOOLS[t]
        L.append(f"| {tool['label']} | `{tool['cmd_dry']}` | {('`' + tool['cmd_real'] + '`') if tool.get('cmd_real') else 'list only'} "
                 f"| {('`' + tool['cmd_check'] + '`') if tool.get('cmd_check') else 'its dry-run output'} |")
    L.append('')
    return '\n'.join(L)


def machine():
    mem = [l for l in open('/proc/meminfo') if l.startswith('MemTotal')][0].split()[1]
    cpu = [l for l in open('/proc/cpuinfo') if l.startswith('model name')]
    fs = subprocess.run(['findmnt', '-no', 'FSTYPE,OPTIONS', '-T', CORPUS], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} CPUs ({cpu[0].split(':')[1].strip() if cpu else '?'}), "
            f"{int(mem) / 1048576:.1f} GiB RAM, Linux {platform.release()}, corpus on {fs}")


def versions():
    def v(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else '?'
    return '; '.join([v([UL, '--version']), v(['jdupes', '-v']), v(['rdfind', '-v']),
                      re.sub(r'\x1b\[[0-9;]*m', '', v(['rmlint', '--version'])), v(['fdupes', '-v'])])


def run_startup():
    """hyperfine: `hardlink -c a b` (kernel-devel runs it once per file) against util-linux."""
    d = os.path.join(SCRATCH, 'startup')
    os.makedirs(d, exist_ok=True)
    prep = os.path.join(d, 'prep.sh')
    open(prep, 'w').write(f'rm -f {d}/a {d}/b; head -c 4096 /dev/urandom > {d}/a; cp {d}/a {d}/b; '
                          f'touch -r {d}/a {d}/b\n')
    js = os.path.join(d, 'hf.json')
    cmd = ['hyperfine', '-N', '--warmup', '20', '--runs', os.environ.get('STARTUP_RUNS', '300'),
           '--prepare', f'sh {prep}', '--export-json', js,
           '-n', 'hardlink', f'{HL} -c {d}/a {d}/b', '-n', 'util-linux', f'{UL} -c {d}/a {d}/b']
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return f'hyperfine failed: {r.stderr.strip()[-500:]}'
    res = json.load(open(js))['results']
    lines = ['| command | mean ms ± σ | median ms | min ms | ×hl (median) |', '|---|--:|--:|--:|--:|']
    base = res[0]['median']
    for x in res:
        lines.append(f"| `{x['command'].replace(HL, 'hardlink').replace(d + '/', '')}` | {x['mean'] * 1e3:.2f} ± "
                     f"{x['stddev'] * 1e3:.2f} | {x['median'] * 1e3:.2f} | {x['min'] * 1e3:.2f} | {x['median'] / base:.2f} |")
    lines += ['', f"Command: `{' '.join(cmd).replace(HL, 'hardlink')}`"]
    return '\n'.join(lines)


def main():
    os.makedirs(SCRATCH, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(['gcc', '-O2', '-Wall', '-o', MEASURE, os.path.join(HERE, 'measure.c')], check=True)
    if not os.environ.get('HARDLINK'):
        # snapshot the binary and its shared libraries (RUNPATH $ORIGIN): the
        # build directory may be rebuilt by someone else during the run
        snap = os.path.dirname(HL)
        shutil.rmtree(snap, ignore_errors=True)
        os.makedirs(snap)
        b = os.path.join(REPO, 'build')
        for f in ['hardlink'] + [f for f in os.listdir(b) if '.so' in f and not f.endswith('.p')]:
            shutil.copy2(os.path.join(b, f), os.path.join(snap, f), follow_symlinks=False)
    r = subprocess.run([HL, '--version'], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f'{HL} does not run: {r.stderr.strip()}')
    head = subprocess.run(['git', '-C', REPO, 'describe', '--always', '--dirty'], capture_output=True, text=True).stdout.strip()
    head += ', sha256 ' + hashlib.sha256(open(HL, 'rb').read()).hexdigest()[:16]
    for f in sorted(os.listdir(os.path.dirname(HL))):
        lib = os.path.join(os.path.dirname(HL), f)
        if '.so.' in f and os.path.isfile(lib) and not os.path.islink(lib):
            head += f', {f} sha256 ' + hashlib.sha256(open(lib, 'rb').read()).hexdigest()[:16]
    names = [c for c in os.environ.get('CORPORA', DEFAULT_CORPORA).split(',') if c]
    if MODE not in ('warm', 'cold', 'slow'):
        sys.exit(f'MODE={MODE}: warm, cold or slow')
    if COLD and os.geteuid() != 0:
        sys.exit(f'MODE={MODE} drops the page cache before every run: root only')
    mode = dict(warm='warm: the page cache is warmed (every file read) before each round',
                cold='cold: `sync -f CORPUS; echo 3 > /proc/sys/vm/drop_caches` before every timed run',
                slow='slow disk: corpora on a loop-mounted ext4 image whose reads are throttled '
                     f"({os.environ.get('SLOW_IOPS', '?')} read requests/s, cgroup v1 blkio), "
                     '`sync -f CORPUS; echo 3 > /proc/sys/vm/drop_caches` before every timed run')[MODE]
    if BLKIO_CG:
        mode += (f'; every timed run inside the blkio cgroup {BLKIO_CG}: disk read requests = '
                 f'blkio.throttle.io_serviced "Read" for {BLKIO_DEV} (after - before)')
    log(f'mode: {mode}')
    if TREE_ROOT:
        for n, c in CORPORA.items():
            if not c.get('system'):
                c['path'] = os.path.join(TREE_ROOT, n)
    meta = dict(date=time.strftime('%Y-%m-%d %H:%M:%S %Z'), machine=machine(), mode=mode,
                hardlink=f'{HL} (snapshot of build/hardlink at {head})', peers=versions(),
                settings=f'ROUNDS={ROUNDS} REAL_ROUNDS={REAL_ROUNDS} REAL_ROUNDS_BIG={REAL_ROUNDS_BIG} '
                         f'TIMEOUT={TIMEOUT:.0f} TIMEOUT_TINY={TIMEOUT_TINY:.0f} SLOW={SLOW:.0f} SLOW_RUNS={SLOW_RUNS} CORPORA={",".join(names)}')
    results = {}
    if 'startup' in names:
        log('== startup (hyperfine)')
        meta['startup'] = run_startup()
        log(meta['startup'])
        names.remove('startup')
    skipped = json.loads(os.environ.get('SKIPPED', '{}'))
    t_all = time.time()
    for name in names:
        cfg = CORPORA.get(name) or dict(path=os.path.join(TREE_ROOT or CORPUS, name), real=False,
                                         rmlint_real=False, default_mode=False, big=False, other=True)
        if name in skipped or not os.path.isdir(cfg['path']):
            log(f'== {name}: skipped ({skipped.get(name, "no corpus at " + cfg["path"])})')
            results[name] = dict(path=cfg['path'], files=0, dry={}, real={},
                                 notes=[f"skipped: {skipped.get(name, 'no corpus')}"])
            continue
        dry = ['hardlink'] + (['hardlink-prev'] if HL_PREV else []) + ['hardlink-j1', 'util-linux']
        if cfg.get('default_mode'):
            dry += ['hardlink-default', 'util-linux-default']
        dry += ['jdupes', 'rdfind', 'rmlint', 'fdupes']
        notes = []
        if cfg.get('ul_slow') and not UL_ALL:
            dry.remove('util-linux')
            notes.append('util-linux hardlink not run: its pairwise comparison takes more than 5 min here '
                         '(peers.md §7.3: 350 s on samesize-lastbyte, > 600 s on tiny-many); UL_ALL=1 runs it')
        real = []
        if cfg['real'] and not NO_REAL:
            real = [t for t in dry if TOOLS[t].get('real')]
            if not cfg.get('rmlint_real'):
                real.remove('rmlint')
                notes.append('rmlint: list mode only; its generated script runs `rm` and `ln` once per duplicate '
                             '(a process pair per file), impractical for this many duplicates')
            notes.append('fdupes has no link action: list mode only')
        elif not cfg['real']:
            notes.append('dry runs only' + (' (system directory: never linked)' if cfg.get('system') else
                                            '' if cfg.get('other') else
                                            ' (a copy per run is too slow; TINY_REAL=1 adds real runs)'))
        if TOOLS_FILTER:
            dry = [t for t in dry if t in TOOLS_FILTER]
            real = [t for t in real if t in TOOLS_FILTER]
        t0 = time.time()
        run_corpus(name, cfg, dry, real, results, notes)
        results[name]['notes'] = notes + [f'corpus took {time.time() - t0:.0f} s of benchmark time']
        json.dump(dict(meta=meta, results=results), open(os.path.join(OUT, 'raw.json'), 'w'), indent=1, default=str)
        open(os.path.join(OUT, 'results.md'), 'w').write(report(results, meta))
    meta['total'] = (f'{time.time() - t_all:.0f} s (of which '
                     f"{float(os.environ.get('WAIT_BUDGET', '200')) - max(WAIT_BUDGET[0], 0):.0f} s "
                     f"waiting for a quiet machine and "
                     f"{float(os.environ.get('RETRY_BUDGET', '300')) - max(RETRY_BUDGET[0], 0):.0f} s "
                     f'repeating disturbed runs)')
    open(os.path.join(OUT, 'results.md'), 'w').write(report(results, meta) + f"\nTotal benchmark time: {meta['total']}\n")
    json.dump(dict(meta=meta, results=results), open(os.path.join(OUT, 'raw.json'), 'w'), indent=1, default=str)
    log(f"done in {meta['total']}: {os.path.join(OUT, 'results.md')}")


if __name__ == '__main__':
    main()
