#!/usr/bin/env python3
"""bench/cache.py - hardlink --cache, warm (page cache hot).

For each tree (default: $CORPUS/npm and $CORPUS/synthetic/tiny-many):

  1. a linked copy in SCRATCH (cp -a --reflink=never, then one real
     hardlink run without the cache), made once and kept; then 2.2 s of
     sleep, so that no file is "racy" (hardlink(1), THE CONTENT CACHE);
  2. one dry run with --cache=SCRATCH/NAME.db records the digests; the
     cache's size per row is measured (after the run's checkpoint);
  3. the re-run's reads of regular files of the tree, counted with
     strace -f -y (read, pread64, preadv, readv on paths under the tree),
     and its /proc/PID/io rchar/read_bytes;
  4. ROUNDS rounds, tools alternating, median wall time:
       find TREE -printf '%s %i\\n'        (the metadata walk alone)
       hardlink -n --cache=NAME.db TREE   (warm re-run with the cache)
       hardlink -n TREE                   (re-run without the cache)
       hardlink -n --cache=fresh.db TREE  (first run with a new cache)
     and the ratios re-run/find and first-run/no-cache.

  HARDLINK=build/hardlink ROUNDS=5 python3 bench/cache.py [TREE...]

Prints a Markdown table for bench/RESULTS.md.
"""
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

CORPUS = os.environ.get('CORPUS', '/tmp/hardlink-corpus')
HL = os.path.abspath(os.environ.get('HARDLINK', 'build/hardlink'))
ROUNDS = int(os.environ.get('ROUNDS', '5'))
SCRATCH = os.environ.get('SCRATCH', f'{CORPUS}/bench-scratch/cache')


def run(argv, **kw):
    """Wall seconds, CPU seconds (user + system) and /proc/PID/io of one
    run (output discarded)."""
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, **kw)
    io = {}
    # /proc/PID/io stays readable until the process is reaped
    while True:
        try:
            with open(f'/proc/{p.pid}/io') as f:
                io = dict(line.split(': ') for line in f.read().split('\n') if line)
        except OSError:
            pass
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.002)
    wall = time.monotonic() - t
    err = p.stderr.read().decode()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0,) or err:
        raise SystemExit(f'{argv}: exit {p.returncode}: {err}')
    io = {k: int(v) for k, v in io.items()}
    io['cpu'] = ru.ru_utime + ru.ru_stime
    return wall, io


def linked_copy(src):
    name = os.path.basename(src.rstrip('/'))
    dst = os.path.join(SCRATCH, name)
    if not os.path.isdir(dst):
        tmp = dst + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(['cp', '-a', '--reflink=never', src, tmp], check=True)
        subprocess.run([HL, '-q', tmp], check=True)
        os.rename(tmp, dst)
    return name, dst


def tree_reads(dst, db):
    """read calls on regular files under dst during a re-run, and bytes."""
    trace = os.path.join(SCRATCH, 'trace')
    subprocess.run(['strace', '-f', '-y', '-o', trace, '-e',
                    'trace=read,pread64,preadv,readv',
                    HL, '-n', f'--cache={db}', dst],
                   check=True, stdout=subprocess.DEVNULL)
    calls = nbytes = 0
    pat = re.compile(r'<' + re.escape(dst) + r'/.*= (\d+)$')
    with open(trace) as f:
        for line in f:
            m = pat.search(line.rstrip())
            if m:
                calls += 1
                nbytes += int(m.group(1))
    os.unlink(trace)
    return calls, nbytes


def main():
    trees = sys.argv[1:] or [f'{CORPUS}/npm', f'{CORPUS}/synthetic/tiny-many']
    os.makedirs(SCRATCH, exist_ok=True)
    rows = []
    for src in trees:
        name, dst = linked_copy(src)
        time.sleep(2.2)
        db = os.path.join(SCRATCH, name + '.db')
        fresh = os.path.join(SCRATCH, name + '.fresh.db')
        for p in (db, db + '-wal', db + '-shm'):
            if os.path.exists(p):
                os.unlink(p)
        run([HL, '-n', f'--cache={db}', dst])
        con = sqlite3.connect(db)
        nrows = con.execute('SELECT count(*) FROM file').fetchone()[0]
        con.close()
        size = os.path.getsize(db)
        files = int(subprocess.run(['find', dst, '-type', 'f', '-printf', '.'],
                                   capture_output=True).stdout.count(b'.'))
        calls, nbytes = tree_reads(dst, db)
        t = {k: [] for k in ('find', 'cache', 'nocache', 'first')}
        cpu = {k: [] for k in t}
        io = {}
        for r in range(ROUNDS):
            order = ['find', 'cache', 'nocache', 'first']
            order = order[r % 4:] + order[:r % 4]
            for k in order:
                if k == 'find':
                    argv = ['find', dst, '-printf', '%s %i\n']
                elif k == 'cache':
                    argv = [HL, '-n', f'--cache={db}', dst]
                elif k == 'nocache':
                    argv = [HL, '-n', dst]
                else:
                    for p in (fresh, fresh + '-wal', fresh + '-shm'):
                        if os.path.exists(p):
                            os.unlink(p)
                    argv = [HL, '-n', f'--cache={fresh}', dst]
                w, io[k] = run(argv)
                t[k].append(w)
                cpu[k].append(io[k]['cpu'])
        med = {k: statistics.median(v) for k, v in t.items()}
        cmed = {k: statistics.median(v) for k, v in cpu.items()}
        rows.append((name, files, nrows, size, calls, nbytes, med, io, t, cmed))
    print('| tree | files | cache rows | cache bytes/row | bytes/file | '
          're-run: read calls (bytes) on tree files | find | re-run --cache | '
          'ratio | re-run without | first run --cache | ratio first/without |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for name, files, nrows, size, calls, nbytes, med, io, t, cmed in rows:
        print(f"| {name} | {files} | {nrows} | {size / max(nrows, 1):.1f} | "
              f"{size / max(files, 1):.1f} | {calls} ({nbytes}) | "
              f"{med['find']:.3f} s | {med['cache']:.3f} s | "
              f"{med['cache'] / med['find']:.2f} | {med['nocache']:.3f} s | "
              f"{med['first']:.3f} s | {med['first'] / med['nocache']:.3f} |")
    print()
    print('CPU seconds (user + system), medians: | tree | find | re-run --cache '
          '| re-run without | first run --cache | ratio first/without |')
    for name, files, nrows, size, calls, nbytes, med, io, t, cmed in rows:
        print(f"| {name} | {cmed['find']:.3f} | {cmed['cache']:.3f} | "
              f"{cmed['nocache']:.3f} | {cmed['first']:.3f} | "
              f"{cmed['first'] / cmed['nocache']:.3f} |")
    print()
    for name, files, nrows, size, calls, nbytes, med, io, t, cmed in rows:
        print(f'{name}: all rounds (s): ' +
              '; '.join(f"{k} {' '.join(f'{x:.3f}' for x in v)}" for k, v in t.items()))
        print(f"{name}: /proc/PID/io of the last re-run with --cache: "
              f"rchar {io['cache'].get('rchar')} read_bytes {io['cache'].get('read_bytes')}; "
              f"without: rchar {io['nocache'].get('rchar')}")


if __name__ == '__main__':
    main()
