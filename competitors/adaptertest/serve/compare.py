#!/usr/bin/env python3
"""Drive ONE Go server process with wrk or h2load, with sockety-bench (remote mode) and with
a bare Go loop (load), in turn, and print requests per second, client and server CPU per
request and how busy the server was. See results/harness-vs-wrk-h2load.md.

The server (`sockety-bench --server-only`, one worker, GOMAXPROCS 1) is pinned to one CPU
and every load generator to the other (taskset), so that each run asks the same question:
does this tool keep the same server busy? Without pinning, client and server share 2 cores
and the tool that needs less CPU per request leaves more CPU to the server.

Build first (from the repository root):
    go build -o /tmp/e5/sb ./cmd/sockety-bench
    go build -o /tmp/e5/load ./competitors/adaptertest/load
then: ROUNDS=5 python3 competitors/adaptertest/serve/compare.py
Environment: SB, LOAD (binaries), ROUNDS, DUR and WARM (seconds), SERVER_CPU and
CLIENT_CPU (taskset CPU lists; PIN=0 runs unpinned), OUT (JSON of every run), CASES
(comma-separated case numbers, default 1,2,3; 4 and 5 are sockety-bench's defaults, unpinned; 6 is 4 with
one request in flight per connection),
TRANSPORT=1 (also the http.Transport variant of the
HTTP/1 client, bare loop), CLIENT_GODEBUG (GODEBUG of the Go load generators only, sockety-bench's
client side and the bare loop, not of the server: e.g. schedtrace=2147483647 keeps the runtime's
sysmon thread out of its deep sleep, see results/harness-vs-wrk-h2load.md, session 5), SERVER_GODEBUG
(GODEBUG of the server process only), QUIET (CPUs: the summary also gives medians over the rounds in
which the rest of the machine used at most this much, default 0.1), SUMMARY (comma-separated
OUT files: only print their merged summary).
Needs wrk and h2load (Debian: apt-get install wrk nghttp2-client).
"""
import json, os, re, resource, secrets, signal, socket, statistics, subprocess, time

SB = os.environ.get("SB", "/tmp/e5/sb")
LOAD = os.environ.get("LOAD", "/tmp/e5/load")
DUR = int(os.environ.get("DUR", "5"))
WARM = int(os.environ.get("WARM", "1"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
PIN = os.environ.get("PIN", "1") != "0"
SERVER_CPU = os.environ.get("SERVER_CPU", "0")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "1")
TICK = os.sysconf("SC_CLK_TCK")
CLIENT_GODEBUG = os.environ.get("CLIENT_GODEBUG", "")


def client_env(extra=None):
    """The environment of a Go load generator: ours plus CLIENT_GODEBUG (the server never
    gets it: it is started with ours)."""
    env = dict(os.environ, **(extra or {}))
    env.pop("CLIENT_GODEBUG", None)
    env.pop("SERVER_GODEBUG", None)
    if CLIENT_GODEBUG:
        env["GODEBUG"] = ",".join(x for x in (env.get("GODEBUG", ""), CLIENT_GODEBUG) if x)
    return env


def pinned(cpu, cmd, pin=True):
    return (["taskset", "-c", cpu] + cmd) if PIN and pin else cmd


def tree_cpu(pid):
    """utime+stime (s) of pid and its children (the server worker processes)."""
    total = 0.0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d) == pid or int(f[1]) == pid:
            total += (int(f[11]) + int(f[12])) / TICK
    return total


def machine_busy():
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = f[:8]
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


def measured(srv, run):
    """run() with the CPU of everything else on the machine over the same interval: "others"
    is the machine's busy CPU minus the server's and the tool's (rusage of children), "steal"
    the hypervisor's steal time, both in CPUs (CPU seconds per second)."""
    (b0, st0), s0, r0, t0 = machine_busy(), srv.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    got = run()
    (b1, st1), s1, r1, t1 = machine_busy(), srv.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    tool = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    got["others"] = max(0.0, (b1 - b0) - (s1 - s0) - tool) / (t1 - t0)
    got["steal"] = (st1 - st0) / (t1 - t0)
    return got


def free_port():
    """A port p such that p and p+1 (the control port) were free a moment ago."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        try:
            t = socket.socket()
            t.bind(("127.0.0.1", p + 1))
            t.close()
            return p
        except OSError:
            continue


class Server:
    """sockety-bench --server-only for one suite, one worker (GOMAXPROCS procs) on SERVER_CPU
    (unpinned when pin is false)."""

    def __init__(self, filt, excl, procs=1, pin=True):
        self.filt, self.excl, self.pin = filt, excl, pin
        for attempt in range(3):  # a picked port can be taken before the server binds it
            self.port, self.token = free_port(), secrets.token_hex(16)
            cmd = pinned(SERVER_CPU, [SB, "--server-only", "-p", str(self.port), "-s", "1", "--server-procs", str(procs),
                                      "-f", filt, "-e", excl, "--token", self.token, "--no-color"], pin)
            env = dict(os.environ)
            env.pop("CLIENT_GODEBUG", None)
            if os.environ.get("SERVER_GODEBUG"):
                env["GODEBUG"] = ",".join(x for x in (env.get("GODEBUG", ""), os.environ["SERVER_GODEBUG"]) if x)
            env.pop("SERVER_GODEBUG", None)
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            seen = []
            for line in self.proc.stdout:
                seen.append(line)
                if line.startswith("Running until interrupted"):
                    self.addr = f"127.0.0.1:{self.port}"
                    return
            self.proc.wait()
            print(f"server-only did not start (attempt {attempt + 1}): {''.join(seen[-3:]).strip()}", flush=True)
        raise RuntimeError("server-only did not start")

    def cpu(self):
        return tree_cpu(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def external(srv, tmpl, parse):
    fill = lambda d: [a.replace("{addr}", srv.addr).replace("{dur}", str(d)) for a in tmpl]
    subprocess.run(pinned(CLIENT_CPU, fill(WARM), srv.pin), capture_output=True, check=True)
    s0, r0, t0 = srv.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    out = subprocess.run(pinned(CLIENT_CPU, fill(DUR), srv.pin), capture_output=True, text=True, check=True).stdout
    s1, r1, t1 = srv.cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    rps, n, errors = parse(out)
    ccpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    return dict(rps=rps, client_us=ccpu / n * 1e6, server_us=(s1 - s0) / n * 1e6,
                server_busy=(s1 - s0) / (t1 - t0), errors=errors)


def plain(srv, suite, cn, cc, variant=None, procs=1):
    env = client_env(dict(GOMAXPROCS=str(procs)))
    if variant:
        env["SOCKETY_HTTP1_CLIENT"] = variant  # the HTTP/1 client variant (competitors/http1)
    s0, t0 = srv.cpu(), time.monotonic()
    out = subprocess.run(pinned(CLIENT_CPU, [LOAD, "-suite", suite, "-addr", srv.addr, "-bench", "short-response",
                                             "-cn", str(cn), "-cc", str(cc), "-d", f"{DUR}s", "-w", f"{WARM}s"], srv.pin),
                         capture_output=True, text=True, check=True, env=env).stdout
    s1, t1 = srv.cpu(), time.monotonic()
    m = re.search(r"ops (\d+) errors (\d+) ops/s ([\d.]+) cpu-us/op ([\d.]+)", out)
    n = int(m.group(1))
    busy = (s1 - s0) / (t1 - t0)  # warm-up and window alike
    return dict(rps=float(m.group(3)), client_us=float(m.group(4)), server_us=busy * DUR / n * 1e6,
                server_busy=busy, errors=int(m.group(2)))


def harness(srv, cn, cc, clients=1):
    """sockety-bench in remote mode: clients workers of GOMAXPROCS 1, each with cn connections
    and cc operations in flight."""
    js = f"/tmp/compare-sb-{os.getpid()}.json"
    cmd = pinned(CLIENT_CPU, [SB, "--remote", "127.0.0.1", "-p", str(srv.port), "--token", srv.token,
                              "-f", srv.filt, "-e", srv.excl, "-c", str(clients), "--client-procs", "1", "-cn", str(cn),
                              "-cc", str(cc), "-w", f"{WARM}s", "-t", f"{DUR}s", "--no-color", "--json", js], srv.pin)
    subprocess.run(cmd, capture_output=True, check=True, env=client_env())
    r = json.load(open(js))["results"][0]
    os.remove(js)
    win = r["window_ns"] / 1e9
    busy = r["cpu"]["server"]["total"] / 100  # CPUs (percent of one CPU / 100)
    return dict(rps=r["qps"], client_us=r["cpu"]["client_ns_per_op"] / 1e3, server_us=busy * win / r["count"] * 1e6,
                server_busy=busy, errors=r["errors"])


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


CASES = [
    ("HTTP/1 /fast, 4 connections, 1 request in flight each", "HTTP/1", ("http/1 short", "https"),
     ["wrk", "-t1", "-c4", "-d{dur}s", "http://{addr}/fast"], parse_wrk, 4, 4),
    ("HTTP/1 /fast, 32 connections, 1 request in flight each", "HTTP/1", ("http/1 short", "https"),
     ["wrk", "-t1", "-c32", "-d{dur}s", "http://{addr}/fast"], parse_wrk, 32, 32),
    ("HTTP/2 h2c /fast, 4 connections x 64 streams", "HTTP/2", ("http/2 short", "https"),
     ["h2load", "-t1", "-c4", "-m64", "-D", "{dur}", "http://{addr}/fast"], parse_h2load, 4, 256),
    # sockety-bench's defaults as a user runs them: one server worker of GOMAXPROCS 2 (NumCPU),
    # 2 client workers × 2 connections × 250 operations in flight, nothing pinned (PIN does not
    # apply). The external tool gets the same: 2 threads, 4 connections (HTTP/2: 125 streams
    # each); the bare loop one process of GOMAXPROCS 2 with 4 connections and 500 goroutines.
    ("HTTP/1 /fast, defaults: 2 client workers x 2 connections, unpinned", "HTTP/1", ("http/1 short", "https"),
     ["wrk", "-t2", "-c4", "-d{dur}s", "http://{addr}/fast"], parse_wrk, 2, 250, dict(clients=2, server_procs=2, pin=False)),
    ("HTTP/2 h2c /fast, defaults: 2 client workers x 2 connections, unpinned", "HTTP/2", ("http/2 short", "https"),
     ["h2load", "-t2", "-c4", "-m125", "-D", "{dur}", "http://{addr}/fast"], parse_h2load, 2, 250,
     dict(clients=2, server_procs=2, pin=False)),
    # Case 4 with one operation in flight per connection (-cc 2 per client worker, the bare loop 4),
    # as wrk keeps one request in flight on each of its 4 connections: what case 4's 248 operations
    # per worker queueing for a connection cost (a goroutine hand-off per request).
    ("HTTP/1 /fast, 2 client workers x 2 connections, 1 request in flight each, unpinned", "HTTP/1",
     ("http/1 short", "https"), ["wrk", "-t2", "-c4", "-d{dur}s", "http://{addr}/fast"], parse_wrk, 2, 2,
     dict(clients=2, server_procs=2, pin=False)),
]
if os.environ.get("CASES"):
    CASES = [CASES[int(i) - 1] for i in os.environ["CASES"].split(",")]
else:
    CASES = CASES[:3]  # cases 4 to 6 (unpinned) only when asked for

QUIET = float(os.environ.get("QUIET", "0.1"))


def summarize(results):
    """Medians over all rounds, then over the quiet rounds: those where, for every tool, the
    rest of the machine (others + steal) used at most QUIET CPUs."""
    for name, all_rounds in results.items():
        quiet = [r for r in all_rounds
                 if all(r[t]["others"] + r[t]["steal"] <= QUIET for t in r if isinstance(r[t], dict))]
        for label, rs in (("all rounds", all_rounds), (f"quiet rounds (others+steal <= {QUIET} CPU)", quiet)):
            if not rs:
                print(f"{name}, {label}: none")
                continue
            med = lambda t, k: statistics.median(r[t][k] for r in rs)
            ratios = lambda t: sorted(r[t]["rps"] / r["ext"]["rps"] for r in rs)
            line = f"{name}, {label} ({len(rs)}): median rps ext {med('ext', 'rps'):.0f}"
            for t in ("harness", "plain", "transport"):
                if all(t in r for r in rs):
                    q = ratios(t)
                    line += (f" | {t} {med(t, 'rps'):.0f} rps, {t}/ext median {statistics.median(q):.2f} "
                             f"(all: {', '.join(f'{x:.2f}' for x in q)})")
            line += " | client us/op " + ", ".join(f"{t} {med(t, 'client_us'):.1f}" for t in ("ext", "harness", "plain", "transport") if all(t in r for r in rs))
            line += " | server us/op " + ", ".join(f"{t} {med(t, 'server_us'):.1f}" for t in ("ext", "harness", "plain", "transport") if all(t in r for r in rs))
            line += " | server busy " + ", ".join(f"{t} {100 * med(t, 'server_busy'):.0f}%" for t in ("ext", "harness", "plain", "transport") if all(t in r for r in rs))
            print(line, flush=True)


if os.environ.get("SUMMARY"):  # only summarize earlier runs' OUT files, merged
    merged = {}
    for path in os.environ["SUMMARY"].split(","):
        for name, rs in json.load(open(path)).items():
            merged.setdefault(name, []).extend(rs)
    summarize(merged)
    raise SystemExit(0)

TOOLS = ["ext", "harness", "plain"]
# TRANSPORT=1 adds, for the HTTP/1 cases, the bare loop over the http.Transport variant of
# the HTTP/1 client (SOCKETY_HTTP1_CLIENT=transport) as a fourth tool.
TRANSPORT = os.environ.get("TRANSPORT", "0") != "0"
print(f"pinned: {'server CPU ' + SERVER_CPU + ', clients CPU ' + CLIENT_CPU if PIN else 'no'}; "
      f"{ROUNDS} rounds, {WARM}s warm-up + {DUR}s window per tool"
      + (f"; Go load generators with GODEBUG {CLIENT_GODEBUG}" if CLIENT_GODEBUG else "")
      + (f"; server with GODEBUG {os.environ['SERVER_GODEBUG']}" if os.environ.get("SERVER_GODEBUG") else ""), flush=True)
results = {}
for rnd in range(ROUNDS):
    for name, suite, (filt, excl), tmpl, parse, cn, cc, *rest in CASES:
        opt = rest[0] if rest else {}
        clients = opt.get("clients", 1)
        load_avg = open("/proc/loadavg").read().split()[:3]
        srv = Server(filt, excl, opt.get("server_procs", 1), opt.get("pin", True))
        got = {}
        tools = TOOLS + (["transport"] if TRANSPORT and suite == "HTTP/1" else [])
        try:
            order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]  # rotate who goes first
            for tool in order:
                if tool == "ext":
                    got[tool] = measured(srv, lambda: external(srv, tmpl, parse))
                elif tool == "harness":
                    got[tool] = measured(srv, lambda: harness(srv, cn, cc, clients))
                elif tool == "transport":
                    got[tool] = measured(srv, lambda: plain(srv, suite, clients * cn, clients * cc, "transport", clients))
                else:
                    got[tool] = measured(srv, lambda: plain(srv, suite, clients * cn, clients * cc, None, clients))
        finally:
            srv.stop()
        got["load_avg"] = load_avg
        results.setdefault(name, []).append(got)
        x, h, p = got["ext"], got["harness"], got["plain"]
        fmt = lambda r: (f"{r['rps']:.0f} rps cli {r['client_us']:.1f}us srv {r['server_us']:.1f}us "
                         f"busy {100 * r['server_busy']:.0f}% others {r['others']:.2f} steal {r['steal']:.2f} err {r['errors']}")
        print(f"round {rnd + 1} | {name} | load {' '.join(load_avg)} | ext {fmt(x)} | harness {fmt(h)} | plain-go {fmt(p)} "
              f"| harness/ext {h['rps'] / x['rps']:.2f} plain/ext {p['rps'] / x['rps']:.2f}"
              + (f" | transport {fmt(got['transport'])} | transport/ext {got['transport']['rps'] / x['rps']:.2f}"
                 if "transport" in got else ""), flush=True)
json.dump(results, open(os.environ.get("OUT", "/tmp/compare-results.json"), "w"), indent=1)
print()
summarize(results)
