#!/usr/bin/env python3
"""Alternate wrk/h2load, a bare Go loop (load) and sockety-bench against the same Go
server code, and print requests per second with client and server CPU per request.

Build first (from the repository root):
    go build -o /tmp/sb ./cmd/sockety-bench
    go build -o /tmp/serve ./competitors/adaptertest/serve
    go build -o /tmp/load ./competitors/adaptertest/load
then: ROUNDS=3 python3 competitors/adaptertest/serve/compare.py
Needs wrk and h2load (Debian: apt-get install wrk nghttp2-client).
"""
import json, os, re, resource, subprocess, sys, time, statistics

SB = os.environ.get("SB", "/tmp/sb")
SERVE = os.environ.get("SERVE", "/tmp/serve")
LOAD = os.environ.get("LOAD", "/tmp/load")
DUR, WARM = 5, 1
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TICK = os.sysconf("SC_CLK_TCK")

def proc_cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK  # utime + stime, seconds

def external(suite, cmd_tmpl, parse):
    env = dict(os.environ, GOMAXPROCS="2")
    srv = subprocess.Popen([SERVE, "-suite", suite], stdout=subprocess.PIPE, text=True, env=env)
    addr = srv.stdout.readline().strip()
    try:
        warm = [a.replace("{addr}", addr).replace("{dur}", str(WARM)) for a in cmd_tmpl]
        subprocess.run(warm, capture_output=True, check=True)
        s0 = proc_cpu(srv.pid)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cmd = [a.replace("{addr}", addr).replace("{dur}", str(DUR)) for a in cmd_tmpl]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s1 = proc_cpu(srv.pid)
    finally:
        srv.terminate(); srv.wait()
    rps, n, errors = parse(out)
    ccpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return dict(rps=rps, client_us=ccpu / n * 1e6, server_us=(s1 - s0) / n * 1e6, errors=errors)

def plain(suite, bench, cn, cc):
    env = dict(os.environ, GOMAXPROCS="2")
    srv = subprocess.Popen([SERVE, "-suite", suite], stdout=subprocess.PIPE, text=True, env=env)
    addr = srv.stdout.readline().strip()
    try:
        s0 = proc_cpu(srv.pid)
        out = subprocess.run([LOAD, "-suite", suite, "-addr", addr, "-bench", bench, "-cn", str(cn), "-cc", str(cc),
                              "-d", f"{DUR}s", "-w", f"{WARM}s"], capture_output=True, text=True, check=True,
                             env=dict(os.environ, GOMAXPROCS="1")).stdout
        s1 = proc_cpu(srv.pid)
    finally:
        srv.terminate(); srv.wait()
    m = re.search(r"ops (\d+) errors (\d+) ops/s ([\d.]+) cpu-us/op ([\d.]+)", out)
    n = int(m.group(1))
    # server CPU includes the warming second: scale by the measured share
    return dict(rps=float(m.group(3)), client_us=float(m.group(4)), server_us=(s1 - s0) / n * 1e6 * DUR / (DUR + WARM), errors=int(m.group(2)))

def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    n = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(m.group(1)) if m else 0) + (sum(map(int, e.groups())) if e else 0)
    return rps, n, errors

def parse_h2load(out):
    rps = float(re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out).group(1))
    m = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", out)
    return rps, int(m.group(2)), int(m.group(3)) + int(m.group(4))

def harness(filt, excl, cn, cc):
    js = "/tmp/compare-sb.json"
    cmd = [SB, "-f", filt, "-e", excl, "-c", "1", "-cn", str(cn), "-cc", str(cc), "-w", f"{WARM}s",
           "-t", f"{DUR}s", "--client-procs", "1", "--server-procs", "2", "--no-color", "--json", js]
    subprocess.run(cmd, capture_output=True, check=True)
    r = json.load(open(js))["results"][0]
    win = r["window_ns"] / 1e9
    srv = r["cpu"]["server"]["total"] / 100 * win / r["count"] * 1e6
    return dict(rps=r["qps"], client_us=r["cpu"]["client_ns_per_op"] / 1e3, server_us=srv, errors=r["errors"])

CASES = [
    ("HTTP/1 /fast, 4 connections, 1 request in flight each", "HTTP/1",
     ["wrk", "-t1", "-c4", "-d{dur}s", "http://{addr}/fast"], parse_wrk, ("http/1 short", "https", 4, 4)),
    ("HTTP/1 /fast, 32 connections, 1 request in flight each", "HTTP/1",
     ["wrk", "-t1", "-c32", "-d{dur}s", "http://{addr}/fast"], parse_wrk, ("http/1 short", "https", 32, 32)),
    ("HTTP/2 h2c /fast, 4 connections x 64 streams", "HTTP/2",
     ["h2load", "-t1", "-c4", "-m64", "-D", "{dur}", "http://{addr}/fast"], parse_h2load, ("http/2 short", "https", 4, 256)),
]

results = {}
for rnd in range(ROUNDS):
    for name, suite, tmpl, parse, (f, e, cn, cc) in CASES:
        x = external(suite, tmpl, parse)
        p = plain(suite, "short-response", cn, cc)
        h = harness(f, e, cn, cc)
        results.setdefault(name, []).append((x, h, p))
        print(f"round {rnd+1} | {name} | ext {x['rps']:.0f} rps cli {x['client_us']:.1f}us srv {x['server_us']:.1f}us err {x['errors']} "
              f"| plain-go {p['rps']:.0f} rps cli {p['client_us']:.1f}us srv {p['server_us']:.1f}us err {p['errors']} "
              f"| harness {h['rps']:.0f} rps cli {h['client_us']:.1f}us srv {h['server_us']:.1f}us err {h['errors']} | harness/ext {h['rps']/x['rps']:.2f} harness/plain {h['rps']/p['rps']:.2f}", flush=True)
json.dump(results, open(os.environ.get("OUT", "/tmp/compare-results.json"), "w"), indent=1)
print()
for name, rs in results.items():
    med = lambda i, k: statistics.median(r[i][k] for r in rs)
    xr, hr, pr = med(0, "rps"), med(1, "rps"), med(2, "rps")
    ratios = [r[1]["rps"] / r[0]["rps"] for r in rs]
    print(f"{name}: median rps ext {xr:.0f}, plain-go {pr:.0f}, harness {hr:.0f}; harness/ext {hr/xr:.2f}, harness/plain {hr/pr:.2f}, plain/ext {pr/xr:.2f}; "
          f"client us/op ext {med(0,'client_us'):.1f} plain {med(2,'client_us'):.1f} harness {med(1,'client_us'):.1f}; "
          f"server us/op ext {med(0,'server_us'):.1f} plain {med(2,'server_us'):.1f} harness {med(1,'server_us'):.1f}; per-round harness/ext {', '.join(f'{q:.2f}' for q in ratios)}")
