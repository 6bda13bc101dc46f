#!/usr/bin/env python3
"""Render the benchmark's raw samples as a table (stdout) and RESULTS.md.

    report.py RAW.tsv NOTES.tsv MACHINE.tsv OUT.md

RAW.tsv:     metric <TAB> subject <TAB> value      (one line per sample;
             a value "NA:reason" says why a subject has no figure)
NOTES.tsv:   metric <TAB> text                     (method notes)
MACHINE.tsv: key <TAB> value
"""
import os
import statistics
import sys

# subject key -> how it is shown, per metric family
LABELS = {
    "ours": "ours",
    "runit": "runit",
    "s6": "s6",
    "daemontools": "daemontools",
    "busybox": "busybox",
    "supervisor": "supervisor",
    "tini": "tini",
    "dumb-init": "dumb-init",
    "catatonit": "catatonit",
    "cat": "cat > file",
    "bare-spawn": "bare spawn loop",
}
LOG_LABELS = {
    "ours": "ours (svlog)",
    "runit": "runit (svlogd)",
    "s6": "s6 (s6-log)",
    "daemontools": "daemontools (multilog)",
    "busybox": "busybox (svlogd)",
    "cat": "cat > file",
}
ORDER = ["ours", "runit", "s6", "daemontools", "busybox", "supervisor",
         "tini", "dumb-init", "catatonit", "cat", "bare-spawn"]
# references: shown, never the "best peer"
REFERENCES = {"cat", "bare-spawn"}

# id, section, title, unit, better ("low", "high" or None), format
METRICS = [
    ("foot.bytes", "1. Footprint", "binaries for the job", "bytes", "low", "{:.0f}"),
    ("foot.libs", "1. Footprint", "shared libraries they load", "bytes", None, "{:.0f}"),
    ("foot.total", "1. Footprint", "binaries + shared libraries", "bytes", "low", "{:.0f}"),
    ("mem.pss.1", "2. Memory of the supervision tree", "PSS, 1 service", "KiB", "low", "{:.0f}"),
    ("mem.pss.100", "2. Memory of the supervision tree", "PSS, 100 services", "KiB", "low", "{:.0f}"),
    ("mem.pss.1000", "2. Memory of the supervision tree", "PSS, 1000 services", "KiB", "low", "{:.0f}"),
    ("mem.rss.1", "2. Memory of the supervision tree", "RSS, 1 service", "KiB", "low", "{:.0f}"),
    ("mem.rss.100", "2. Memory of the supervision tree", "RSS, 100 services", "KiB", "low", "{:.0f}"),
    ("mem.rss.1000", "2. Memory of the supervision tree", "RSS, 1000 services", "KiB", "low", "{:.0f}"),
    ("mem.procs.1000", "2. Memory of the supervision tree", "supervisor processes, 1000 services", "procs", None, "{:.0f}"),
    ("up.100", "3. Start-up", "all 100 services running", "ms", "low", "{:.2f}"),
    ("up.1000", "3. Start-up", "all 1000 services running", "ms", "low", "{:.2f}"),
    ("up.cpu.100", "3. Start-up", "supervisor CPU to start 100", "ms", "low", "{:.2f}"),
    ("up.cpu.1000", "3. Start-up", "supervisor CPU to start 1000", "ms", "low", "{:.2f}"),
    ("up.p50.1000", "3. Start-up", "median start, 1000 services", "ms", "low", "{:.2f}"),
    ("cg.up.1000", "3. Start-up", "instructions (callgrind) to start 1000", "Ir", None, "{:.0f}"),
    ("cg.down.1000", "3. Start-up", "instructions (callgrind) to stop 1000", "Ir", None, "{:.0f}"),
    ("restart", "4. Restart latency", "SIGKILL to new instance running", "ms", "low", "{:.3f}"),
    ("cg.restart", "4. Restart latency", "instructions (callgrind) per restart", "Ir", None, "{:.0f}"),
    ("crash.cpu", "5. Crash loop", "supervisor CPU per restart", "us", "low", "{:.1f}"),
    ("crash.starts", "5. Crash loop", "starts in the window", "starts", None, "{:.0f}"),
    ("cg.crash", "5. Crash loop", "instructions (callgrind) per crash-loop restart", "Ir", None, "{:.0f}"),
    ("idle.syscalls", "6. Idle, 100 services", "syscalls (strace -f) in the window", "calls", "low", "{:.0f}"),
    ("idle.wakeups", "6. Idle, 100 services", "context switches in the window", "switches", "low", "{:.0f}"),
    ("status.1", "7. Control", "status, 1 service", "ms", "low", "{:.3f}"),
    ("status.1000", "7. Control", "status, 1000 services", "ms", "low", "{:.2f}"),
    ("rt", "7. Control", "down then up round trip, waiting, 1 service", "ms", "low", "{:.2f}"),
    ("rt.1000", "7. Control", "down then up round trip, waiting, 1000 services", "ms", "low", "{:.2f}"),
    ("log.mbps", "8. Logging", "throughput, rotation 1 MB x 10", "MB/s", "high", "{:.1f}"),
    ("log.lost", "8. Logging", "lines lost (all files kept)", "lines", "low", "{:.0f}"),
    ("log.maxfile", "8. Logging", "largest file written", "bytes", None, "{:.0f}"),
    ("reap", "9. Reaping as PID 1", "10,000 orphan zombies reaped", "ms", "low", "{:.1f}"),
    ("reap.cpu", "9. Reaping as PID 1", "PID 1 CPU for those 10,000", "ms", "low", "{:.1f}"),
    ("reap.lag", "9. Reaping as PID 1", "10,000 live orphans exit at once: last exit to last reaped", "ms", "low", "{:.2f}"),
    ("reap.lagcpu", "9. Reaping as PID 1", "PID 1 CPU, release to last reaped", "ms", "low", "{:.1f}"),
    ("shutdown.100", "10. Shutdown", "100 services: request to all gone", "ms", "low", "{:.2f}"),
    ("shutdown.1000", "10. Shutdown", "1000 services: request to all gone", "ms", "low", "{:.2f}"),
    ("health.check.syscalls", "11. Health checks, 100 services, check every 30 s", "init's syscalls per second", "calls/s", "low", "{:.2f}"),
    ("health.check.wakeups", "11. Health checks, 100 services, check every 30 s", "init's context switches per second", "switches/s", "low", "{:.2f}"),
    ("health.check.cpu", "11. Health checks, 100 services, check every 30 s", "init's CPU per second", "us/s", "low", "{:.1f}"),
    ("health.check.childcpu", "11. Health checks, 100 services, check every 30 s", "CPU of the checks (shell scripts) per second", "us/s", None, "{:.1f}"),
    ("health.notify.syscalls", "11. Health checks, 100 services, check every 30 s", "idle syscalls, 100 services with notify instead", "calls", "low", "{:.0f}"),
    # ours with a cgroup per service ("ours") against the same binary without
    # ("ours-nocg"): a table of their own (cgroup_table)
    ("cgc.up.1000", "12. cgroup cost", "all 1000 services running", "ms", "low", "{:.2f}"),
    ("cgc.upcpu.1000", "12. cgroup cost", "init's CPU to start 1000", "ms", "low", "{:.2f}"),
    ("cgc.treecpu.1000", "12. cgroup cost", "CPU of the whole tree to start 1000 (cgroup cpu.stat)", "ms", "low", "{:.1f}"),
    ("cgc.dirs", "12. cgroup cost", "cgroups made by init, 1000 running", "cgroups", None, "{:.0f}"),
    ("cgc.restart", "12. cgroup cost", "restart: SIGKILL to new instance running", "ms", "low", "{:.3f}"),
    ("cgc.crash.cpu", "12. cgroup cost", "crash loop: init's CPU per restart", "us", "low", "{:.1f}"),
    ("cgc.shutdown.1000", "12. cgroup cost", "stop 1000: request to all gone", "ms", "low", "{:.2f}"),
    ("cgc.syscalls.100", "12. cgroup cost", "syscalls per service, start to stop (strace -f, 100)", "calls", "low", "{:.1f}"),
    ("cgc.spawn.1000", "12. cgroup cost", "bare spawn loop, 1000 (a cgroup each, or none)", "ms", "low", "{:.2f}"),
    ("cgc.rmdir.1000", "12. cgroup cost", "bare spawn loop: rmdir of those 1000 cgroups", "ms", "low", "{:.2f}"),
]
METRIC = {m[0]: m for m in METRICS}

# External reference (nitro, not in Debian; figures measured elsewhere).
NITRO = {
    "foot.bytes": "42 KB",
    "mem.pss.1000": "212 KiB",
    "up.1000": "192 ms",
    "cgc.up.1000": "192 ms",
    "restart": "0.71 ms",
    "rt.1000": "2004 ms",
    "reap.lag": "7.4 ms (4.0-98)",
    "crash.cpu": "335 us",
    "idle.syscalls": "0",
    "shutdown.100": "3.6 ms",
}

# Targets for ours: text, and a test on (ours median, best peer median, samples)
def t_le(limit):
    return lambda o, b, s, raw: o <= limit


def t_lt(limit):
    return lambda o, b, s, raw: o < limit


def t_best(o, b, s, raw):
    return b is None or o <= b


def mann_whitney_p(x, y):
    """Two-sided p-value of the Mann-Whitney U test (normal approximation,
    ties get mid-ranks): could x and y come from one distribution?"""
    import math
    n1, n2 = len(x), len(y)
    if n1 < 3 or n2 < 3:
        return None
    allv = sorted([(v, 0) for v in x] + [(v, 1) for v in y])
    ranks = [0.0] * len(allv)
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    r1 = sum(r for r, (v, g) in zip(ranks, allv) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    if sigma == 0:
        return 1.0
    z = (abs(u - mu) - 0.5) / sigma
    return max(0.0, min(1.0, math.erfc(max(z, 0) / math.sqrt(2))))


def t_best_or_same(o, b, s, raw):
    # no slower than the best peer, or not told apart from it by the test
    if b is None or o <= b:
        return True
    best = min((k for k in raw if k != "ours" and k not in REFERENCES),
               key=lambda k: statistics.median(raw[k]))
    p = mann_whitney_p(raw["ours"], raw[best])
    return p is not None and p >= 0.05


def t_rt(o, b, s, raw):
    v = raw.get("ours", [])
    return o <= 3 and bool(v) and max(v) < 2 * min(v)


def t_log(o, b, s, raw):
    cat = s.get("cat")
    if b is not None and o < b:
        return False
    if cat is not None and o < cat / 2:
        return False
    return True




TARGETS = {
    "foot.bytes": ("one static binary <= 64 KiB (65536 B)", t_le(65536)),
    "mem.pss.1000": ("<= 212 KiB PSS", t_le(212)),
    "up.1000": ("<= 96 ms", t_le(96)),
    "restart": ("< 0.5 ms", t_lt(0.5)),
    "crash.cpu": ("<= 150 us per restart", t_le(150)),
    "idle.syscalls": ("0", t_le(0)),
    "health.notify.syscalls": ("0", t_le(0)),
    "cgc.up.1000": ("<= 96 ms (2x nitro's 192)", t_le(96)),
    "status.1000": ("<= 5 ms", t_le(5)),
    "rt": ("<= 3 ms median, max < 2x min", t_rt),
    "rt.1000": ("<= 3 ms median, max < 2x min", t_rt),
    "log.mbps": (">= fastest peer logger and >= 1/2 of cat > file", t_log),
    "log.lost": ("0", t_le(0)),
    "reap": ("no slower than the best peer", t_best),
    "reap.cpu": ("no more than the best peer", t_best),
    "reap.lag": ("<= best peer, or not told apart (Mann-Whitney p >= 0.05)", t_best_or_same),
    "shutdown.100": ("no slower than the best peer", t_best),
}


def load(path, ncols):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                parts = line.split("\t", ncols - 1)
                while len(parts) < ncols:
                    parts.append("")
                rows.append(parts)
    except FileNotFoundError:
        pass
    return rows


CG_LABELS = {"ours": "ours, with cgroups", "ours-nocg": "ours, without cgroups"}

# cgroup cost: with - without, per start (the 1000-service rows divide
# by 1000) or per event, scaled to the unit shown
CG_PER = {
    "cgc.up.1000": (1.0, "us a start"),
    "cgc.upcpu.1000": (1.0, "us a start"),
    "cgc.treecpu.1000": (1.0, "us a start"),
    "cgc.restart": (1000.0, "us"),
    "cgc.crash.cpu": (1.0, "us"),
    "cgc.shutdown.1000": (1.0, "us a service"),
    "cgc.syscalls.100": (1.0, "calls a service"),
    "cgc.spawn.1000": (1.0, "us a start"),
}


def label(metric, subj):
    if metric.startswith("log."):
        return LOG_LABELS.get(subj, subj)
    if metric.startswith("cgc."):
        return CG_LABELS.get(subj, subj)
    return LABELS.get(subj, subj)


def main():
    raw, notes_f, machine_f, out = sys.argv[1:5]
    samples = {}   # metric -> subject -> [values]
    na = {}        # metric -> subject -> reason
    for metric, subj, val in load(raw, 3):
        if val.startswith("NA:"):
            na.setdefault(metric, {})[subj] = val[3:]
            continue
        try:
            v = float(val)
        except ValueError:
            na.setdefault(metric, {})[subj] = "bad value " + val
            continue
        samples.setdefault(metric, {}).setdefault(subj, []).append(v)
    notes = {}
    for metric, text in load(notes_f, 2):
        notes.setdefault(metric, []).append(text)
    machine = load(machine_f, 2)

    def stats(metric, subj):
        v = samples.get(metric, {}).get(subj)
        if not v:
            return None
        return statistics.median(v), min(v), max(v), len(v)

    def fmt(metric, x):
        return METRIC[metric][5].format(x)

    def best_peer(metric):
        better = METRIC[metric][4]
        if better is None:
            return None
        best = None
        for subj in samples.get(metric, {}):
            if subj == "ours" or subj in REFERENCES:
                continue
            med = stats(metric, subj)[0]
            if best is None or (med < best[1] if better == "low" else med > best[1]):
                best = (subj, med)
        return best

    def med_s(mid, subj):
        """median [min-max] of a subject, or n/a (why)"""
        st = stats(mid, subj)
        if not st:
            r = na.get(mid, {}).get(subj)
            return "n/a" + (" (" + r + ")" if r else "")
        txt = fmt(mid, st[0])
        if st[3] > 1:
            txt += " [{}-{}]".format(fmt(mid, st[1]), fmt(mid, st[2]))
        return txt

    summary = []  # rows for the summary table
    for m in METRICS:
        mid, sect, title, unit, better, _ = m
        if mid not in samples and mid not in na or mid.startswith("cgc."):
            continue
        o = stats(mid, "ours")
        b = best_peer(mid)
        ours_s = med_s(mid, "ours")
        best_s = "-"
        ratio = "-"
        if b:
            best_s = "{} {}".format(label(mid, b[0]), fmt(mid, b[1]))
            if o and b[1] > 0:
                ratio = "{:.2f}".format(o[0] / b[1])
            elif o and b[1] == 0:
                ratio = "=" if o[0] == 0 else "inf"
        tgt, met = "", ""
        if mid in TARGETS:
            tgt = TARGETS[mid][0]
            if o:
                meds = {s: stats(mid, s)[0] for s in samples.get(mid, {})}
                met = "yes" if TARGETS[mid][1](o[0], b[1] if b else None, meds, samples.get(mid, {})) else "NO"
            else:
                met = "?"
        summary.append((sect, title + " (" + unit + ")", ours_s, best_s, ratio,
                        NITRO.get(mid, ""), tgt, met))

    # ---------- cgroup cost: with against without ----------
    cgrows = []
    for m in METRICS:
        mid, sect, title, unit, better, _ = m
        if not mid.startswith("cgc.") or (mid not in samples and mid not in na):
            continue
        w, wo = stats(mid, "ours"), stats(mid, "ours-nocg")
        ratio = per = "-"
        if w and wo and wo[0] > 0:
            ratio = "{:.2f}".format(w[0] / wo[0])
        if w and wo and mid in CG_PER:
            per = "{:+.1f} {}".format((w[0] - wo[0]) * CG_PER[mid][0], CG_PER[mid][1])
        elif w and mid == "cgc.rmdir.1000":
            per = "{:.1f} us a cgroup".format(w[0])
        tgt, met = "", ""
        if mid in TARGETS:
            tgt = TARGETS[mid][0]
            met = "?" if not w else ("yes" if TARGETS[mid][1](w[0], None, {}, {}) else "NO")
        cgrows.append((title + " (" + unit + ")", med_s(mid, "ours"), med_s(mid, "ours-nocg"),
                       ratio, per, NITRO.get(mid, ""), tgt, met))

    # ---------- stdout: plain table ----------
    def table(cols, rows, sects=None):
        """columns padded to their widest cell (at most 48); with sects,
        a section's name before its first row"""
        widths = [min(48, max(len(c), *(len(str(r[i])) for r in rows))) for i, c in enumerate(cols)]

        def line(vals):
            return "  ".join(str(v)[:widths[i]].ljust(widths[i]) for i, v in enumerate(vals)).rstrip()

        print()
        print(line(cols))
        print(line(["-" * w for w in widths]))
        sect = None
        for i, r in enumerate(rows):
            if sects and sects[i] != sect:
                sect = sects[i]
                print(sect)
            print(line(r))

    if summary:
        table(["metric", "ours (median [min-max])", "best peer", "ours/best", "nitro (ext.)", "target", "met?"],
              [r[1:] for r in summary], [r[0] for r in summary])
    if cgrows:
        table(["12. cgroup cost", "with cgroups", "without", "with/without",
               "per start (with - without)", "nitro (ext.)", "target", "met?"], cgrows)
    print()
    print("Per subject (median [min-max] xN):")
    for m in METRICS:
        mid = m[0]
        if mid not in samples and mid not in na:
            continue
        parts = []
        for subj in ORDER + ["ours-nocg"]:
            st = stats(mid, subj)
            if st:
                parts.append("{} {}".format(label(mid, subj), fmt(mid, st[0])))
            elif subj in na.get(mid, {}):
                parts.append("{} n/a".format(label(mid, subj)))
        print("  {:<40} {}".format(m[2] + " (" + m[3] + ")", "; ".join(parts)))

    # ---------- RESULTS.md ----------
    md = []
    md.append("# Benchmark results")
    md.append("")
    md.append("Written by `bench/run` (`make bench`); do not edit by hand. "
              "Each figure is the median of the runs, with [min-max] and the number of "
              "samples; \"ours/best\" divides our median by the best Debian peer's "
              "(lower is better except MB/s).")
    md.append("")
    md.append("## Machine")
    md.append("")
    md.append("| | |")
    md.append("|---|---|")
    for k, v in machine:
        md.append("| {} | {} |".format(k, v))
    md.append("")
    md.append("## Summary")
    md.append("")
    if summary:
        md.append("| metric | ours | best peer | ours/best | nitro (external) | target | met? |")
        md.append("|---|---|---|---|---|---|---|")
    sect = None
    for r in summary:
        if r[0] != sect:
            sect = r[0]
            md.append("| **{}** | | | | | | |".format(sect))
        md.append("| {} | {} | {} | {} | {} | {} | {} |".format(*r[1:]))
    md.append("")
    md.append("nitro is not in Debian: its figures are an external reference measured "
              "elsewhere (212 KiB PSS at 1000 services, 1000 up in 192 ms, restart 0.71 ms, "
              "335 us CPU per crash-loop restart, 0 idle syscalls, 100 services shut down "
              "in 3.6 ms, 42 KB static binary, a down+up round trip at 1000 services in "
              "2004 ms, a reaping lag of 7.4 ms median [4.0-98] after the last of 10,000 "
              "orphans exited), not on this machine.")
    md.append("")
    if cgrows:
        md.append("## cgroup cost (ours with a cgroup per service against the same binary without)")
        md.append("")
        md.append("| metric | with cgroups | without | with/without | per start (with - without) | nitro (external) | target | met? |")
        md.append("|---|---|---|---|---|---|---|---|")
        for r in cgrows:
            md.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(*r))
        md.append("")
        md.append("How: see 12. under Details. Both columns are from this machine; nitro's "
                  "figure is from another.")
        md.append("")
    # The hand-written reading of the figures (where we lose and why) lives
    # in bench/ANALYSIS.md, so a new run keeps it.
    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            md.append(f.read().rstrip("\n"))
        md.append("")
    md.append("## Details")
    sect = None
    for m in METRICS:
        mid, s, title, unit, better, _ = m
        if mid not in samples and mid not in na:
            continue
        if s != sect:
            sect = s
            md.append("")
            md.append("### " + s)
            for n in notes.get(s.split(".")[0], []):
                md.append("")
                md.append(n)
        md.append("")
        md.append("**{}** ({}{})".format(title, unit, {"low": ", lower is better",
                                                       "high": ", higher is better"}.get(better, "")))
        md.append("")
        md.append("| subject | median | min | max | n | ours/this | p10 | p90 | ours vs this: Mann-Whitney p |")
        md.append("|---|---|---|---|---|---|---|---|---|")
        o = stats(mid, "ours")
        for subj in ORDER + sorted(set(samples.get(mid, {})) - set(ORDER)):
            st = stats(mid, subj)
            if st:
                r = "-"
                if o and subj != "ours" and st[0] > 0:
                    r = "{:.2f}".format(o[0] / st[0])
                v = samples[mid][subj]
                p10 = p90 = pmw = ""
                if len(v) >= 5:
                    q = statistics.quantiles(v, n=10, method="inclusive")
                    p10, p90 = fmt(mid, q[0]), fmt(mid, q[-1])
                if subj != "ours" and o:
                    pv = mann_whitney_p(samples[mid]["ours"], v)
                    pmw = "" if pv is None else "{:.3f}".format(pv)
                md.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                    label(mid, subj), fmt(mid, st[0]), fmt(mid, st[1]), fmt(mid, st[2]), st[3], r,
                    p10, p90, pmw))
            elif subj in na.get(mid, {}):
                md.append("| {} | n/a: {} | | | | | | | |".format(label(mid, subj), na[mid][subj]))
        for n in notes.get(mid, []):
            md.append("")
            md.append(n)
    md.append("")
    with open(out, "w") as f:
        f.write("\n".join(md))
    print()
    print("Wrote " + out)


if __name__ == "__main__":
    main()
