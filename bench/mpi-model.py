#!/usr/bin/env python3
"""mpi-model.py - run-time model of hardlink-mpi for F files on R ranks.

The per-file workload comes from the npm corpus (bench/RESULTS.md: one
hardlink run, and the --mpi-stats of hardlink-mpi); the rates of the
filesystem and network are assumptions, stated here and in RESULTS.md.
Prints the model table (markdown).  Every phase is bounded by the slower
of the ranks' own rate (times the measured imbalance max/mean) and the
servers' shared rate.
"""

# workload per walked file, measured on npm (236,015 files)
FILES_NPM = 236015
OPENS = 272922 / FILES_NPM         # engine opens per file (Read: line)
BYTES = 913406137 / FILES_NPM      # bytes the engine read per file
LINKED = 125393 / FILES_NPM        # paths replaced per file
REC = 220                          # shuffle bytes per record (--mpi-stats)
IMB = 1.2                          # max/mean per-rank work (measured <= 1.2)

# assumptions: a parallel filesystem and an HPC network
S_CLIENT = 5_000      # stat-class metadata ops/s one rank gets (RPC-bound)
S_MDS = 400_000       # stat-class ops/s of the metadata servers (4 MDTs)
M_MDS = 80_000        # modifying ops/s of the metadata servers (4 MDTs)
B_CLIENT = 1e9        # bytes/s one rank reads
B_OSS = 200e9         # bytes/s of the object servers together
NET = 10e9            # bytes/s a rank injects into the network
LAT = 2e-6            # s per point-to-point message
# per replaced path: linkat + renameat2 + unlinkat (modifying), two opens
# and two fstat (stat-class); per walked file one fstatat, per opened
# file one open (stat-class).
MOD_PER_LINK, STAT_PER_LINK = 3, 4


def model(F, R):
    stat_rate = min(R * S_CLIENT / IMB, S_MDS)
    walk = F / stat_rate
    shuffle = F * REC / (R * NET) + 2 * R * LAT
    opens = F * OPENS / stat_rate
    read = F * BYTES / min(R * B_CLIENT / IMB, B_OSS)
    link = F * LINKED * (MOD_PER_LINK / M_MDS + STAT_PER_LINK / stat_rate)
    return walk, shuffle, opens + read, link


def fmt(s):
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.1f} min" \
        if s >= 60 else f"{s:.1f} s"


print("| files | ranks | walk | shuffle | compare (open+read) | replace "
      "| dry run (-n) | real run |")
print("|--:|--:|--:|--:|--:|--:|--:|--:|")
for F in (10**8, 10**9):
    for R in (1, 64, 1024):
        w, sh, c, l = model(F, R)
        print(f"| 10^{len(str(F)) - 1} | {R} | {fmt(w)} | {fmt(sh)} | "
              f"{fmt(c)} | {fmt(l)} | {fmt(w + sh + c)} | "
              f"{fmt(w + sh + c + l)} |")
