#!/usr/bin/python3
"""Runs a command and reports its peak resident set size (what
`/usr/bin/time` reports as "Maximum resident set size": the largest RSS of
the command and of the processes it waited for, from getrusage).

usage: peak_rss.py --save FILE -- CMD...
           writes the peak in MB to FILE (a baseline) and prints it
       peak_rss.py --baseline FILE --max-extra-mb M [--label L] -- CMD...
           fails unless the peak is at most the baseline + M MB

A command that fails makes this fail with its exit status.
"""
import argparse
import resource
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--save")
ap.add_argument("--baseline")
ap.add_argument("--max-extra-mb", type=float)
ap.add_argument("--label", default="peak RSS")
ap.add_argument("cmd", nargs=argparse.REMAINDER)
a = ap.parse_args()
cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
r = subprocess.run(cmd)
if r.returncode != 0:
    sys.exit(f"peak_rss: command failed with exit status {r.returncode}")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
if a.save:
    open(a.save, "w").write(f"{peak:.1f}\n")
    print(f"{a.label}: {peak:.0f} MB")
    sys.exit(0)
base = float(open(a.baseline).read())
extra = peak - base
ok = extra <= a.max_extra_mb
print(f"{a.label}: {peak:.0f} MB = baseline {base:.0f} MB + {extra:.0f} MB "
      f"({'<=' if ok else '>'} {a.max_extra_mb:.0f} MB): {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
