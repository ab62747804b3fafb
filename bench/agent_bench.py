#!/usr/bin/env python3
"""Recording through the agent tlog-recd: speed, echo delay and memory.

sudo bench/agent_bench.py BUILD_DIR [MB] [ROUNDS] [SESSIONS]

Runs as root and re-runs itself in a private mount namespace, where a
private copy of the tlog configuration directory (tlog-rec-session.conf
naming the benchmark's agent) is bound over the configured one, and a
private /run holds the utmp file the agent keeps; the machine's files
stay as they are.  The programs are copied out of BUILD_DIR first, so a
rebuild during the run changes nothing.  Every session runs as the
unprivileged user tlogtest (added if missing), under a PTY that this
script reads, as a terminal would; the agent records as tlog-recd to a
file, with --latency 1 (tlog-rec gets the same latency).

1. Throughput: `cat` of MB megabytes of base64 text, read in large
   blocking reads and kept nowhere, through the agent
   (tlog-rec-session -c 'cat DATA'), through tlog-rec, through
   script(1), and with no recorder.  CPU is that of every process of the
   run, the agent's included, from cpuacct control groups.  Both
   recordings are checked to decode to exactly the bytes shown first.

2. Echo round trip: the session's program puts its terminal in raw mode
   and runs `cat`; one byte is written, its echo read back, 2000 times.
   Median and 99th percentile, through the agent, through tlog-rec (the
   recorder in the session's own process, as tlog-rec-session recorded
   before) and with no recorder.  The three run at once and take turns
   byte by byte, so that the rest of the machine weighs on them alike.

3. Memory: SESSIONS concurrent idle sessions (tlog-rec-session -c
   'sleep 30', each under its own PTY); the proportional set size (PSS,
   from /proc/PID/smaps_rollup) and the RSS of the agent's processes for
   the sessions, the root one that waits and the one that records,
   summed and divided by SESSIONS.  The same for tlog-rec, for
   comparison.

Each figure is the median of ROUNDS rounds.
"""
import os
import pty
import pwd
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

USER = "tlogtest"
AGENT_USER = "tlog-recd"
CONF_DIR = "/etc/tlog"
CGROOT = "/sys/fs/cgroup/cpuacct"
MARK = "TLOG_AGENT_BENCH_NS"
ECHO_ROUNDS = 2000
READY = b"READY!"


def ensure_user(name, system):
    try:
        pwd.getpwnam(name)
    except KeyError:
        args = ["useradd", "-M"]
        args += ["-r", "-s", "/usr/sbin/nologin"] if system else \
            ["-s", "/bin/sh"]
        subprocess.run(args + [name], check=True)


def in_namespace():
    """Run again in a private mount namespace (once)."""
    if os.environ.get(MARK) == "1":
        return
    if os.getuid() != 0:
        sys.exit("agent_bench: run as root (mounts, users, the agent)")
    os.environ[MARK] = "1"
    argv = ["unshare", "--mount", "--propagation", "private",
            sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    os.execvp(argv[0], argv)


class World:
    """The private configuration, /run, programs, control groups and the
    user's directory of one run"""

    def __init__(self, build):
        self.tmp = tempfile.mkdtemp(prefix="agent_bench.")
        os.chmod(self.tmp, 0o755)
        self.bin = os.path.join(self.tmp, "bin")
        os.makedirs(self.bin)
        for prog in ("rec/tlog-rec", "rec/tlog-rec-session", "rec/tlog-recd",
                     "tests/codec"):
            shutil.copy(os.path.join(build, prog), self.bin)
        self.rec = os.path.join(self.bin, "tlog-rec")
        self.session = os.path.join(self.bin, "tlog-rec-session")
        self.recd = os.path.join(self.bin, "tlog-recd")
        self.codec = os.path.join(self.bin, "codec")
        # as make install does; it also puts the program in
        # secure-execution mode, as on a real system
        subprocess.run(["setcap", "cap_audit_write+ep", self.session],
                       check=True)
        ensure_user(USER, False)
        ensure_user(AGENT_USER, True)
        self.pw = pwd.getpwnam(USER)
        self.home = os.path.join(self.tmp, "user")
        os.makedirs(self.home)
        os.chown(self.home, self.pw.pw_uid, self.pw.pw_gid)
        self.agent_dir = os.path.join(self.tmp, "agent")
        os.makedirs(self.agent_dir)
        os.chmod(self.agent_dir, 0o755)
        self.sock = os.path.join(self.agent_dir, "recd.sock")
        self.agent_out = os.path.join(self.agent_dir, "rec.json")
        conf = os.path.join(self.tmp, "etc-tlog")
        shutil.copytree(CONF_DIR, conf)
        with open(os.path.join(conf, "tlog-rec-session.conf"), "w") as f:
            f.write('{"notice":"","shell":"/bin/sh",'
                    '"agent":{"socket":"%s"}}\n' % self.sock)
        subprocess.run(["mount", "--bind", conf, CONF_DIR], check=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755",
                        "agent-bench-run", "/run"], check=True)
        open("/run/utmp", "w").close()
        subprocess.run(["chgrp", "utmp", "/run/utmp"], check=True)
        os.chmod("/run/utmp", 0o664)
        self.cg = os.path.join(CGROOT, os.path.basename(self.tmp))
        self.cg_agent = os.path.join(self.cg, "agent")
        self.cg_session = os.path.join(self.cg, "session")
        os.makedirs(self.cg_agent)
        os.makedirs(self.cg_session)
        self.agent = None

    def empty(self, path):
        """Make path an empty file that its recorder may write"""
        open(path, "w").close()
        if path == self.agent_out:
            os.chown(path, pwd.getpwnam(AGENT_USER).pw_uid, -1)
        else:
            os.chown(path, self.pw.pw_uid, self.pw.pw_gid)

    def start_agent(self):
        self.empty(self.agent_out)
        argv = [self.recd, "--socket", self.sock, "--state-dir",
                os.path.join(self.agent_dir, "state"), "--spool-dir",
                os.path.join(self.agent_dir, "spool"), "--session-program",
                self.session, "--writer", "file", "--file-path",
                self.agent_out, "--latency", "1"]
        self.agent = subprocess.Popen(
            argv, preexec_fn=lambda: join_cgroup(self.cg_agent),
            stderr=open(os.path.join(self.agent_dir, "recd.log"), "ab"),
            start_new_session=True)
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if time.monotonic() > end or self.agent.poll() is not None:
                sys.exit("agent_bench: tlog-recd did not start")
            time.sleep(0.02)

    def agent_sessions(self):
        """Pids of the agent's per-session processes: (root, recorder)"""
        kids = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                kids.setdefault(ppid, []).append(int(d))
        roots = kids.get(self.agent.pid, [])
        return roots, [w for r in roots for w in kids.get(r, [])]

    def user_path(self, name):
        return os.path.join(self.home, name)

    def close(self):
        if self.agent is not None:
            self.agent.terminate()
            self.agent.wait(10)
            end = time.monotonic() + 10
            while any(self.agent_sessions()) and time.monotonic() < end:
                time.sleep(0.1)
        # after a failed run, the sessions may still be hanging up
        end = time.monotonic() + 10
        while time.monotonic() < end and any(
                open(os.path.join(cg, "cgroup.procs")).read()
                for cg in (self.cg_agent, self.cg_session)):
            time.sleep(0.1)
        for cg in (self.cg_agent, self.cg_session, self.cg):
            try:
                os.rmdir(cg)
            except OSError as e:
                print("agent_bench: cannot remove %s: %s" % (cg, e))
        subprocess.run(["umount", "/run"])
        subprocess.run(["umount", CONF_DIR])
        shutil.rmtree(self.tmp, ignore_errors=True)


def join_cgroup(cg):
    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def cpu_ns(cg):
    with open(os.path.join(cg, "cpuacct.usage")) as f:
        return int(f.read())


def spawn(w, argv):
    """argv as USER under a new PTY, in the session control group;
    returns (pid, master)"""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            join_cgroup(w.cg_session)
            os.setgroups([])
            os.setgid(w.pw.pw_gid)
            os.setuid(w.pw.pw_uid)
            os.chdir(w.home)
            # no descriptor of this script's: another session's terminal
            # held open here would keep it from hanging up
            os.closerange(3, os.sysconf("SC_OPEN_MAX"))
            env = {"PATH": "/usr/bin:/bin", "HOME": w.home, "TERM": "xterm",
                   "USER": USER, "LOGNAME": USER, "SHELL": "/bin/sh",
                   "LANG": "C.UTF-8"}
            os.execve(argv[0] if "/" in argv[0] else shutil.which(argv[0]),
                      argv, env)
        finally:
            os._exit(127)
    return pid, fd


def read_all(fd, keep):
    """Read the PTY to its end, in large blocking reads"""
    shown = bytearray()
    while True:
        try:
            data = os.read(fd, 1 << 20)
        except OSError:
            break
        if not data:
            break
        if keep:
            shown += data
    return bytes(shown)


def wait_exit(pid, argv, timeout=30, check=True):
    end = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            if check and os.waitstatus_to_exitcode(status) != 0:
                sys.exit("agent_bench: %s failed" % argv)
            return
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            sys.exit("agent_bench: %s did not end" % argv)
        time.sleep(0.01)


def run_stream(w, argv, keep=False):
    """One run of argv: (seconds, CPU seconds of the session's and the
    agent's processes, CPU seconds of the agent's) or, with keep, the
    bytes shown"""
    a0, s0 = cpu_ns(w.cg_agent), cpu_ns(w.cg_session)
    start = time.monotonic()
    pid, fd = spawn(w, argv)
    shown = read_all(fd, keep)
    wait_exit(pid, argv)
    took = time.monotonic() - start
    os.close(fd)
    if keep:
        return shown
    # the agent's recording process has ended when the PTY reached its
    # end: it held the terminal
    agent = (cpu_ns(w.cg_agent) - a0) / 1e9
    return took, agent + (cpu_ns(w.cg_session) - s0) / 1e9, agent


def throughput(w, data, rounds):
    out = w.user_path("rec.json")
    setups = [
        ("agent", [w.session, "-c", "cat " + data], w.agent_out),
        ("tlog-rec", [w.rec, "--latency", "1", "-o", out, "cat", data], out),
        ("script", ["script", "-q", "-c", "cat " + data,
                    w.user_path("typescript")], None),
        ("no recorder", ["cat", data], None),
    ]
    with open(data, "rb") as f:
        want = f.read().replace(b"\n", b"\r\n")
    for name, argv, rec in setups[:2]:
        w.empty(rec)
        shown = run_stream(w, argv, keep=True)
        dec = subprocess.run([w.codec, "decode", rec], capture_output=True,
                             check=True).stdout
        if shown != want or dec != shown:
            sys.exit("agent_bench: %s: the recording or the screen differs"
                     " (%d shown, %d recorded, %d sent)" %
                     (name, len(shown), len(dec), len(want)))
    res = {name: [] for name, _, _ in setups}
    for _ in range(rounds):
        for name, argv, rec in setups:
            if rec is not None:
                w.empty(rec)
            res[name].append(run_stream(w, argv))
    return res


def echo_start(w, argv):
    """argv under a PTY, once it shows READY: (pid, master)"""
    pid, fd = spawn(w, argv)
    seen = b""
    end = time.monotonic() + 10
    while READY not in seen:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            seen += os.read(fd, 4096)
        if time.monotonic() > end:
            sys.exit("agent_bench: %s did not start: %r" % (argv, seen))
    return pid, fd


def round_trip(fd):
    """One byte to the terminal and its echo back: seconds"""
    t0 = time.perf_counter_ns()
    os.write(fd, b"x")
    got = os.read(fd, 64)
    t1 = time.perf_counter_ns()
    if got != b"x":
        sys.exit("agent_bench: echoed %r" % got)
    return (t1 - t0) / 1e9


def echo(w, rounds):
    """Per setup and round: (median, p99) of the echo round trips.  The
    setups run side by side, taking turns byte by byte (in an order that
    rotates), so that whatever else the machine does hits them alike."""
    prog = "stty raw -echo; printf %s; exec cat" % READY.decode()
    setups = [
        ("agent", [w.session, "-c", prog]),
        ("tlog-rec", [w.rec, "--latency", "1", "-o",
                      w.user_path("echo.json"), "/bin/sh", "-c", prog]),
        ("no recorder", ["/bin/sh", "-c", prog]),
    ]
    w.empty(w.user_path("echo.json"))
    res = {name: [] for name, _ in setups}
    for _ in range(rounds):
        terms = [echo_start(w, argv) for _, argv in setups]
        times = [[] for _ in setups]
        for i in range(ECHO_ROUNDS + 100):
            for k in range(len(setups)):
                j = (i + k) % len(setups)
                t = round_trip(terms[j][1])
                if i >= 100:        # the first ones warm up
                    times[j].append(t)
        # the terminals hang up: the recorders end, and cat with them
        for (name, argv), (pid, fd), ts in zip(setups, terms, times):
            os.close(fd)
            wait_exit(pid, argv, 10, check=False)
            ts.sort()
            res[name].append((ts[len(ts) // 2], ts[len(ts) * 99 // 100]))
    return res


def mem_of(pid):
    """(PSS, RSS) in KiB"""
    got = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Pss", "Rss"):
                got[k] = int(v.split()[0])
    return got["Pss"], got["Rss"]


def many(w, argvs, settle=1.0):
    """Start every argv under its own PTY; return (pids, masters) once
    each has shown READY"""
    started = [spawn(w, argv) for argv in argvs]
    waiting = {fd: b"" for _, fd in started}
    end = time.monotonic() + 60
    while waiting:
        if time.monotonic() > end:
            sys.exit("agent_bench: %d sessions did not start" % len(waiting))
        r, _, _ = select.select(list(waiting), [], [], 0.5)
        for fd in r:
            waiting[fd] += os.read(fd, 4096)
            if READY in waiting[fd]:
                del waiting[fd]
    time.sleep(settle)
    return started


def end_all(started):
    for pid, fd in started:
        os.close(fd)
    for pid, _ in started:
        os.waitpid(pid, 0)


def memory(w, n, rounds):
    prog = "printf %s; sleep 30" % READY.decode()
    res = {"agent": [], "tlog-rec": []}
    for _ in range(rounds):
        started = many(w, [[w.session, "-c", prog]] * n)
        roots, recorders = w.agent_sessions()
        if len(roots) != n or len(recorders) != n:
            sys.exit("agent_bench: %d sessions, %d root and %d recording"
                     " processes" % (n, len(roots), len(recorders)))
        root_m = [mem_of(p) for p in roots]
        rec_m = [mem_of(p) for p in recorders]
        lis = mem_of(w.agent.pid)
        res["agent"].append({
            "root": tuple(sum(m[i] for m in root_m) / n for i in (0, 1)),
            "rec": tuple(sum(m[i] for m in rec_m) / n for i in (0, 1)),
            "listener": lis})
        end_all(started)
        end = time.monotonic() + 20
        while any(w.agent_sessions()):
            if time.monotonic() > end:
                sys.exit("agent_bench: the agent's sessions did not end")
            time.sleep(0.1)
        argvs = [[w.rec, "--latency", "1", "-o",
                  w.user_path("mem%d.json" % i), "/bin/sh", "-c", prog]
                 for i in range(n)]
        started = many(w, argvs)
        m = [mem_of(pid) for pid, _ in started]
        res["tlog-rec"].append(
            {"rec": tuple(sum(x[i] for x in m) / n for i in (0, 1))})
        end_all(started)
    return res


def med(xs):
    return statistics.median(xs)


def report(size, rounds, n, tp, rtt, mem):
    print("throughput: %.1f MB of base64 text, median of %d rounds"
          " (min in brackets)" % (size / 1e6, rounds))
    for name, runs in tp.items():
        t = med([x[0] for x in runs])
        c = med([x[1] for x in runs])
        a = med([x[2] for x in runs])
        print("  %-12s %6.3f s (%6.3f) %6.1f MB/s  CPU %5.2f s%s" %
              (name, t, min(x[0] for x in runs), size / 1e6 / t, c,
               " (the agent's: %.2f s)" % a if a > 0.005 else ""))
    ta = med([x[0] for x in tp["agent"]])
    print("  agent/script wall time:    %.2f (goal <= 1.15)" %
          (ta / med([x[0] for x in tp["script"]])))
    print("  agent/tlog-rec wall time:  %.2f" %
          (ta / med([x[0] for x in tp["tlog-rec"]])))
    print("  no recorder/script:        %.2f (the floor)" %
          (med([x[0] for x in tp["no recorder"]]) /
           med([x[0] for x in tp["script"]])))
    print("echo round trip: %d one-byte round trips, median of %d rounds"
          % (ECHO_ROUNDS, rounds))
    for name, runs in rtt.items():
        print("  %-12s median %6.1f us  p99 %6.1f us" %
              (name, med([x[0] for x in runs]) * 1e6,
               med([x[1] for x in runs]) * 1e6))
    for i, what in ((0, "median"), (1, "p99")):
        print("  agent/tlog-rec %-7s %.2f (goal <= 1.5)" %
              (what + ":", med([x[i] for x in rtt["agent"]]) /
               med([x[i] for x in rtt["tlog-rec"]])))
    print("memory: %d idle sessions, per session, median of %d rounds"
          % (n, rounds))
    a = mem["agent"]
    for part in ("root", "rec"):
        print("  agent %-5s process  PSS %7.0f KiB  RSS %7.0f KiB" %
              (part, med([x[part][0] for x in a]),
               med([x[part][1] for x in a])))
    pss = med([x["root"][0] + x["rec"][0] for x in a])
    rss = med([x["root"][1] + x["rec"][1] for x in a])
    lis = med([x["listener"][0] for x in a])
    print("  agent, both              PSS %7.0f KiB  RSS %7.0f KiB"
          " (goal: PSS < 2048 KiB)" % (pss, rss))
    print("  agent listener (shared)  PSS %7.0f KiB, %.0f KiB a session"
          % (lis, lis / n))
    t = mem["tlog-rec"]
    print("  tlog-rec process         PSS %7.0f KiB  RSS %7.0f KiB" %
          (med([x["rec"][0] for x in t]), med([x["rec"][1] for x in t])))


def main():
    in_namespace()
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    w = World(build)
    try:
        data = os.path.join(w.tmp, "data")
        with open(data, "wb") as f:
            subprocess.run("head -c %d /dev/urandom | base64" %
                           (mb * 3 // 4 * 10**6), shell=True, stdout=f,
                           check=True)
        os.chmod(data, 0o644)
        w.start_agent()
        tp = throughput(w, data, rounds)
        rtt = echo(w, rounds)
        mem = memory(w, n, rounds)
        report(os.path.getsize(data), rounds, n, tp, rtt, mem)
    finally:
        w.close()


if __name__ == "__main__":
    main()
