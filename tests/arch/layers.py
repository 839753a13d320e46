#!/usr/bin/env python3
"""layers.py OBJDIR - the architecture of src/, checked on the objects.

Reads the symbols of the command's objects (OBJDIR/src_*.c.o, as meson
builds them) with nm, draws the graph "module A calls a function that
module B defines", and checks, printing TAP:

  1. the graph has no cycle (every module is below the modules that call
     it), and each module stays in its layer: the bottom layer (util,
     cleanup, output, sig, names, size, opts) calls only the bottom
     layer, the middle layer (walk, xattr, extents, replace, report, json,
     progress, cache) only the middle and the bottom, the stages (leftover,
     entry, policy, group, classify, act) never main;
  2. util.c and sig.c name no other module but the bottom layer, and
     nothing but main calls into progress (it registers with output);
  3. only replace.c calls the functions that change the filesystem; the
     cache (cache.c) may unlink its own database files (a damaged cache
     is started anew), nothing else.

Data symbols (the read-only 'opts') are not calls and are not counted.
"""
import os
import subprocess
import sys

LAYERS = {
    0: ["util", "cleanup", "output", "sig", "names", "fent", "size", "opts"],
    1: ["walk", "xattr", "extents", "replace", "report", "json",
        "progress", "cache"],
    2: ["leftover", "entry", "policy", "group", "classify", "act"],
    3: ["main",
        # hardlink-mpi (src/mpi/, objects src_mpi_*): its driver composes
        # the stages as main does
        "mpi_main", "mpi_tree", "mpi_dwalk", "mpi_shuffle", "mpi_gather",
        "mpi_split"],
}
CHANGERS = {"linkat", "link", "renameat", "renameat2", "rename", "unlinkat",
            "unlink", "remove", "fsetxattr", "setxattr", "lsetxattr",
            "fremovexattr", "removexattr", "lremovexattr", "fchown",
            "fchmod", "futimens", "utimensat", "truncate", "ftruncate"}
# what a module other than replace.c may call, on files of its own
OWN_FILES = {"cache": {"unlink"}}
# ioctl is used by extents.c (FIEMAP, read-only) too: checked by source.
IOCTL_WRITERS = ("FICLONE", "FIDEDUPERANGE")


def nm(path, *args):
    out = subprocess.run(["nm", *args, path], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows.append((parts[-2], parts[-1]))
    return rows


def main():
    objdir = sys.argv[1]
    srcdir = sys.argv[2] if len(sys.argv) > 2 else None
    mods = {}
    for f in sorted(os.listdir(objdir)):
        if f.startswith("src_") and f.endswith(".c.o"):
            mods[f[4:-4]] = os.path.join(objdir, f)
    rank = {m: r for r, ms in LAYERS.items() for m in ms}
    tests = []

    unknown = sorted(set(mods) - set(rank))
    tests.append(("every module has a layer", not unknown,
                  "no layer for: " + ", ".join(unknown)))

    defined = {}
    for m, path in mods.items():
        for kind, sym in nm(path, "--defined-only"):
            if kind == "T":
                defined[sym] = m
    calls = {m: set() for m in mods}
    undef = {m: {sym for _, sym in nm(p, "-u")} for m, p in mods.items()}
    for m in mods:
        for sym in undef[m]:
            d = defined.get(sym)
            if d and d != m:
                calls[m].add((d, sym))

    # 1. no cycle
    state, cycle = {}, []

    def visit(m, stack):
        state[m] = 1
        for d, _ in sorted(calls[m]):
            if state.get(d) == 1:
                cycle.extend(stack[stack.index(d):] + [d] if d in stack
                             else [m, d])
                return True
            if not state.get(d) and visit(d, stack + [d]):
                return True
        state[m] = 2
        return False

    has_cycle = any(not state.get(m) and visit(m, [m]) for m in sorted(mods))
    tests.append(("the call graph of src/ has no cycle", not has_cycle,
                  " -> ".join(cycle)))

    up = []
    for m in sorted(mods):
        for d, sym in sorted(calls[m]):
            if m in rank and d in rank and rank[d] > rank[m]:
                up.append(f"{m} ({rank[m]}) calls {sym} of {d} ({rank[d]})")
    tests.append(("no module calls a module of a higher layer", not up,
                  "; ".join(up)))

    # 2. util and sig name no other module; progress only from main
    low = set(LAYERS[0])
    bad = [f"{m} calls {sym} of {d}" for m in ("util", "sig")
           for d, sym in sorted(calls.get(m, ())) if d not in low]
    tests.append(("util.c and sig.c call only the bottom layer", not bad,
                  "; ".join(bad)))
    bad = [f"{m} calls {sym}" for m in sorted(mods) if m != "main"
           for d, sym in sorted(calls[m]) if d == "progress"]
    tests.append(("only main calls progress.c", not bad, "; ".join(bad)))

    # 3. filesystem changes in replace.c only
    bad = [f"{m} calls {sym}" for m in sorted(mods) if m != "replace"
           for sym in sorted(undef[m])
           if sym in CHANGERS and sym not in OWN_FILES.get(m, ())]
    if srcdir:
        for m in sorted(mods):
            if m == "replace":
                continue
            src = m.replace("mpi_", "mpi/", 1) + ".c"
            text = open(os.path.join(srcdir, src)).read()
            bad += [f"{m}.c uses {w}" for w in IOCTL_WRITERS if w in text]
    tests.append(("only replace.c changes the filesystem", not bad,
                  "; ".join(bad)))

    print(f"1..{len(tests)}")
    failed = 0
    for i, (name, ok, why) in enumerate(tests, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            failed += 1
            print(f"# {why}")
    for m in sorted(mods):
        print(f"# {m}: " + ", ".join(sorted({d for d, _ in calls[m]})))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
