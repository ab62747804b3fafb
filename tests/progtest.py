"""Helpers shared by the program tests: where the programs are, decoding
and replaying recordings, and a small registry of named cases that prints
"PASS name" / "FAIL name: why" and a closing "NAME: N passed, M failed".
"""
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import traceback

BUILD = os.environ.get("top_builddir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
REC = os.path.join(BUILD, "rec", "tlog-rec")
SESSION = os.path.join(BUILD, "rec", "tlog-rec-session")
CODEC = os.path.join(BUILD, "tests", "codec")
REF_PLAY = "/usr/bin/tlog-play"
TOP = os.environ.get("top_srcdir", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
TRAILER = b"\x1b[0m\x1b[?25h\n\x00"

results = []
tmp = tempfile.mkdtemp(prefix="progtest.")
os.chmod(tmp, 0o1777)


class Fail(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Fail(why)


def messages(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


def decode(path, what="output", lax=False):
    """Our decoder: output bytes, or input bytes, or window sizes."""
    args = [CODEC, "decode", "--packets"] + (["--lax"] if lax else []) + [path]
    p = subprocess.run(args, capture_output=True, timeout=60)
    check(p.returncode == 0, "our decoder refused %s: %s" %
          (path, p.stderr.decode(errors="replace")))
    out, inp, win = b"", b"", []
    for line in p.stdout.decode().splitlines():
        f = line.split()
        if f[0] == "o":
            out += bytes.fromhex(f[2]) if len(f) > 2 else b""
        elif f[0] == "i":
            inp += bytes.fromhex(f[2]) if len(f) > 2 else b""
        else:
            win.append((int(f[2]), int(f[3])))
    return {"output": out, "input": inp, "window": win}[what]


def ref_play(path):
    """The reference player's output, its trailer checked and removed."""
    r, w = os.pipe()        # a silent stdin: at end of file it spins
    try:
        p = subprocess.run([REF_PLAY, "-i", path], stdin=r,
                           capture_output=True, timeout=120)
    finally:
        os.close(r)
        os.close(w)
    check(p.returncode == 0, "reference tlog-play failed: %s" % p.stderr)
    check(p.stdout.endswith(TRAILER), "reference output lacks its trailer")
    return p.stdout[:-len(TRAILER)]


def exact(path, shown):
    """The recording plays, in ours and in the reference, to shown."""
    ours = decode(path)
    check(ours == shown, "our decoding differs from the screen: %r vs %r"
          % (ours[-80:], shown[-80:]))
    ref = ref_play(path)
    check(ref == shown, "reference playback differs from the screen: %r vs %r"
          % (ref[-80:], shown[-80:]))


PLAY = os.path.join(BUILD, "play", "tlog-play")
# tlog-play's exit status for a recording cut short (no end message)
CUT_SHORT = 3


def end_message(path, end=None):
    """Append to the file at path the end message the recorders write
    after the last message in it: the next id, at the last event's
    position, no events, and "x_tlog_end": end ({"exit": 0} if None).
    Recordings made by tests/codec, like the reference's, have none."""
    with open(path, "rb") as f:
        last = [ln for ln in f.read().splitlines() if ln.strip()][-1]
    m = json.loads(last)
    pos = m["pos"]
    for d in m["timing"].split("+")[1:]:
        num = ""
        while d and d[0].isdigit():
            num, d = num + d[0], d[1:]
        pos += int(num)
    e = dict(m)
    e.update({"id": m["id"] + 1, "pos": pos, "timing": "", "in_txt": "",
              "in_bin": [], "out_txt": "", "out_bin": []})
    if "time" in m:
        e["time"] = round(m["time"] + (pos - m["pos"]) / 1000.0, 3)
    e.pop("x_tlog_drop", None)
    e["x_tlog_end"] = {"exit": 0} if end is None else end
    with open(path, "ab") as f:
        f.write(json.dumps(e, separators=(",", ":"),
                           ensure_ascii=False).encode() + b"\n")


def has_end(msgs):
    """Whether a recording's messages (in order) end as a complete one:
    ids 1..N, message N with x_tlog_end"""
    ids = [m["id"] for m in msgs]
    return bool(msgs) and ids == list(range(1, len(ids) + 1)) and \
        "x_tlog_end" in msgs[-1]


def play_dump(path, *args, timeout=60):
    """Our tlog-play dumping a recording file at full speed:
    (exit status, output, standard error as text)."""
    p = subprocess.run([PLAY, "-g", "end"] + list(args) + ["-i", path],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def ref_dump(path, timeout=60):
    """The reference player on a recording it may refuse part of:
    (exit status, output without its trailer, standard error as text)."""
    r, w = os.pipe()        # a silent stdin: at end of file it spins
    try:
        p = subprocess.run([REF_PLAY, "-i", path], stdin=r,
                           capture_output=True, timeout=timeout)
    finally:
        os.close(r)
        os.close(w)
    out = p.stdout
    if out.endswith(TRAILER):
        out = out[:-len(TRAILER)]
    return p.returncode, out, p.stderr.decode(errors="replace")


def case(name, user=None):
    def wrap(fn):
        def run():
            try:
                fn(user) if user is not None else fn()
                results.append(True)
                print("PASS %s" % name, flush=True)
            except Fail as e:
                results.append(False)
                print("FAIL %s: %s" % (name, e), flush=True)
            except Exception:
                results.append(False)
                print("FAIL %s: %s" % (name, traceback.format_exc()
                                       .strip().splitlines()[-1]), flush=True)
        run.__name__ = name
        CASES.append(run)
        return fn
    return wrap


CASES = []


def wait_after(t, anchor, text, timeout=20):
    """Pump the terminal t until text shows after the first anchor on its
    screen (True), or until timeout or its end (False)"""
    end = time.monotonic() + timeout
    while True:
        i = t.screen.find(anchor)
        if i >= 0 and text in t.screen[i + len(anchor):]:
            return True
        if time.monotonic() > end or t.poll() is not None:
            return False
        t.pump(0.05)


def sshd_config(port, d, extra=""):
    """The text of an sshd_config for a private sshd on 127.0.0.1:port:
    its host key d/host, each user's authorized keys in d/keys/USER, its
    pid file in d, PAM on, root refused; extra settings appended"""
    return """Port %(port)d
ListenAddress 127.0.0.1
HostKey %(d)s/host
PidFile %(d)s/sshd.pid
UsePAM yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile %(d)s/keys/%%u
StrictModes no
PermitRootLogin no
PrintMotd no
PrintLastLog no
""" % {"port": port, "d": d} + extra


def free_port():
    """A TCP port on 127.0.0.1 nothing listens on"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def path_for(name):
    """A fresh file name in the test directory."""
    p = os.path.join(tmp, name + ".json")
    if os.path.exists(p):
        os.unlink(p)
    return p


def run_cases(title, only):
    """Run the registered cases (those whose name holds one of only)."""
    for run in CASES:
        if not only or any(o in run.__name__ for o in only):
            run()
    passed = sum(results)
    print("%s: %d passed, %d failed" % (title, passed, len(results) - passed))
    return 0 if all(results) else 1


# Removed at exit, after the tests' own clean-up (the Elasticsearch
# test's stop script finds the node's pid file in it)
atexit.register(subprocess.run, ["rm", "-rf", tmp])


class Rsyslog:
    """rsyslogd on a private socket, writing messages of tlog-rec* raw."""

    def __init__(self, name):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "log.sock")
        self.out = os.path.join(self.dir, "out.log")
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write("""
global(workDirectory="%(d)s" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(s)s" RateLimit.Interval="0")
template(name="raw" type="list") {
    property(name="msg" droplastlf="on") constant(value="\\n")
}
if $programname startswith "tlog-rec" then {
    action(type="omfile" file="%(o)s" template="raw")
}
stop
""" % {"d": self.dir, "s": self.sock, "o": self.out})
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf,
                                      "-i", os.path.join(self.dir, "pid")])
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < end and self.proc.poll() is None,
                  "rsyslogd did not start")
            time.sleep(0.05)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def messages(self, count, timeout=10):
        """The JSON messages received, once there are count of them."""
        end = time.monotonic() + timeout
        while True:
            lines = []
            if os.path.exists(self.out):
                with open(self.out) as f:
                    lines = [ln.strip() for ln in f if ln.strip()]
            if len(lines) >= count or time.monotonic() > end:
                return lines

    def file(self, name, count):
        """Write the received messages to a recording file."""
        path = path_for(name)
        lines = self.messages(count)
        with open(path, "w") as f:
            f.write("".join(ln + "\n" for ln in lines))
        return path, lines


RECD = os.path.join(BUILD, "rec", "tlog-recd")
AGENT_USER = "tlog-recd"


def ensure_user(name, system=False):
    """Add the user name (a system user without a shell if system)."""
    import pwd
    try:
        pwd.getpwnam(name)
    except KeyError:
        args = ["useradd", "-M"]
        args += ["-r", "-s", "/usr/sbin/nologin"] if system else \
            ["-s", "/bin/sh"]
        subprocess.run(args + [name], check=True)


def private_tlog_conf(conf_dir):
    """Bind conf_dir, a copy of the configured tlog directory (the
    reference tlog-play reads its own file there), over that directory:
    for a test in a private mount namespace (nsexec.py) only."""
    target = os.path.join(os.environ.get("TLOG_SYSCONFDIR", "/etc"), "tlog")
    if os.path.isdir(target):
        shutil.copytree(target, conf_dir)
    else:
        os.makedirs(conf_dir)
        os.makedirs(target)
    subprocess.run(["mount", "--bind", conf_dir, target], check=True)


def private_etc():
    """A copy of /etc bound over it: the users, groups and files a test
    makes there stay in its namespace and go with it.  For a test in a
    private mount namespace (nsexec.py) only, before anything else binds
    over a part of /etc."""
    d = os.path.join(tmp, "etc")
    subprocess.run(["cp", "-a", "/etc", d], check=True)
    subprocess.run(["mount", "--bind", d, "/etc"], check=True)
    # before the temporary directory goes: what is bound over parts of
    # the copy would stop its removal
    atexit.register(subprocess.run, ["umount", "-R", "/etc"])


def private_utmp():
    """A private /run holding an empty utmp file, which the agent keeps:
    for a test in a private mount namespace (nsexec.py) only."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "run-utmp",
                    "/run"], check=True)
    open("/run/utmp", "w").close()
    subprocess.run(["chgrp", "utmp", "/run/utmp"], check=True)
    os.chmod("/run/utmp", 0o664)


def es_request(url, method, path, body=None, ndjson=False):
    """Ask Elasticsearch at url; its answer as JSON, errors included"""
    import urllib.error
    import urllib.request
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Content-Type", "application/x-ndjson" if ndjson
                   else "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"{}")


def start_elasticsearch(es_dir, title):
    """Elasticsearch in es_dir (tests/es/start), with the index templates
    of contrib/elasticsearch loaded: its URL, or None once the setup's
    failure is printed (then stop_elasticsearch() is still owed)"""
    p = subprocess.run([os.path.join(TOP, "tests", "es", "start"), es_dir],
                       capture_output=True, text=True, timeout=900)
    why = "Elasticsearch did not start: %s" % p.stderr
    url = p.stdout.strip() if p.returncode == 0 else None
    for name in ("tlog", "tlog-forgery") if url else ():
        with open(os.path.join(TOP, "contrib", "elasticsearch",
                               name + "-template.json")) as f:
            r = es_request(url, "PUT", "/_index_template/" + name,
                           json.load(f))
        if not r.get("acknowledged"):
            url, why = None, "template %s not loaded: %r" % (name, r)
            break
    if url is None:
        print("FAIL setup: %s" % why)
        print("%s: 0 passed, 1 failed" % title)
    return url


def stop_elasticsearch(es_dir):
    subprocess.run([os.path.join(TOP, "tests", "es", "stop"), es_dir])


def session_capability(path):
    """tlog-rec-session's file capability, as make install sets it (a
    link drops it): it puts the program in secure-execution mode."""
    subprocess.run(["setcap", "cap_audit_write+ep", path], check=True)


class Agent:
    """tlog-recd on a private socket and state directory, writing to the
    file .out (or with the writer options in args), as AGENT_USER; its
    host name host if given."""

    def __init__(self, name, args=(), file_writer=True, sock=None,
                 program=None, host=None):
        import pwd
        ensure_user(AGENT_USER, system=True)
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.sock = sock or os.path.join(self.dir, "recd.sock")
        self.program = program or os.path.abspath(SESSION)
        self.out = os.path.join(self.dir, "recording.json")
        self.log = os.path.join(self.dir, "recd.log")
        self.argv = [RECD, "--socket", self.sock, "--state-dir",
                     os.path.join(self.dir, "state"), "--spool-dir",
                     os.path.join(self.dir, "spool"), "--session-program",
                     self.program, "--latency", "1"]
        if file_writer:
            open(self.out, "w").close()
            os.chown(self.out, pwd.getpwnam(AGENT_USER).pw_uid, -1)
            self.argv += ["--writer", "file", "--file-path", self.out]
        self.argv += list(args)
        if host is not None:
            # in a UTS namespace of its own, under that host name, which
            # its recordings carry
            self.argv = ["unshare", "--uts", "sh", "-c",
                         'hostname "$0" && exec "$@"', host] + self.argv
        self.proc = None

    def start(self):
        session_capability(self.program)
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"),
                                     start_new_session=True)
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < end and self.proc.poll() is None,
                  "tlog-recd did not start: %s" % self.log_text())
            time.sleep(0.02)
        return self

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-2000:]

    def workers(self):
        """Pids of this agent's processes that run as the agent's user
        (its recorders and courier; other tests' agents may run beside
        it): they carry the listener's command line, with its socket"""
        p = subprocess.run(["pgrep", "-u", AGENT_USER, "-f", RECD],
                           capture_output=True, text=True)
        out = []
        for pid in (int(x) for x in p.stdout.split()):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self.sock.encode() in argv:
                out.append(pid)
        return out

    def stop(self, sessions=True):
        """Stop the listener; with sessions, every session process too."""
        if self.proc is None:
            return
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if sessions:
            subprocess.run(["pkill", "-KILL", "-f", RECD + " --socket " +
                            self.sock], capture_output=True)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class EsRsyslog:
    """A private rsyslogd running the project's files (tlog-es.conf,
    tlog.conf; tlog-journal.conf with journal) from rsyslog_dir (the
    tree's contrib/rsyslog by default), storing into the Elasticsearch on
    127.0.0.1:port, set up as tlog.conf says (the agent's uid trusted,
    and reference's uid if given); started, killed and started again on
    the same work directory.  Samples its resident memory while it
    runs."""

    def __init__(self, name, port, journal=False, reference=None,
                 rsyslog_dir=None):
        import pwd
        rsyslog_dir = rsyslog_dir or os.path.join(TOP, "contrib", "rsyslog")
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "log.sock")
        self.plain = os.path.join(self.dir, "plain.log")
        self.proc = None
        self.max_rss = 0            # KiB, over every run
        self.sampler = None
        subst = {'serverport="9200"': 'serverport="%d"' % port,
                 'server="localhost"': 'server="127.0.0.1"',
                 "@TLOG_RECD_UID@": str(pwd.getpwnam(AGENT_USER).pw_uid),
                 "/var/log/rsyslog-tlog-errors.json":
                 os.path.join(self.dir, "tlog-err")}
        if reference is not None:
            subst["@TLOG_REFERENCE_UID@"] = str(
                pwd.getpwnam(reference).pw_uid)
        includes = ""
        names = ["tlog-es.conf", "tlog.conf"]
        if journal:
            names.insert(0, "tlog-journal.conf")
        for n in names:
            src = os.path.join(rsyslog_dir, n)
            if not os.path.exists(src):     # an older version: one file
                continue
            with open(src) as f:
                conf = f.read()
            for a, b in subst.items():
                conf = conf.replace(a, b)
            with open(os.path.join(self.dir, n), "w") as f:
                f.write(conf)
            includes += 'include(file="%s/%s")\n' % (self.dir, n)
        self.conf = os.path.join(self.dir, "main.conf")
        with open(self.conf, "w") as f:
            f.write("""
global(workDirectory="%(d)s" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(s)s" RateLimit.Interval="0"
      Annotate="on" ParseTrusted="on")
%(i)s
action(type="omfile" file="%(p)s")
""" % {"d": self.dir, "s": self.sock, "p": self.plain, "i": includes})

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", self.conf, "-i",
             os.path.join(self.dir, "pid")], stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "stderr"), "ab"))
        end = time.monotonic() + 10
        while not os.path.exists(self.sock):
            check(time.monotonic() < end and self.proc.poll() is None,
                  "rsyslogd did not start")
            time.sleep(0.05)
        self.sampler = threading.Thread(target=self._sample,
                                        args=(self.proc,), daemon=True)
        self.sampler.start()
        return self

    def _sample(self, proc):
        while proc.poll() is None:
            try:
                with open("/proc/%d/status" % proc.pid) as f:
                    for ln in f:
                        if ln.startswith("VmRSS:"):
                            self.max_rss = max(self.max_rss,
                                               int(ln.split()[1]))
            except OSError:
                pass
            time.sleep(0.1)

    def queue_bytes(self):
        """The size of the recordings' disk queue files now (rsyslogd
        replaces its .qi file by renaming a new one over it: a file
        listed may be gone a moment later)"""
        total = 0
        for f in os.listdir(self.dir):
            if f.startswith("tlog-ship"):
                try:
                    total += os.path.getsize(os.path.join(self.dir, f))
                except FileNotFoundError:
                    pass
        return total

    def rss(self):
        """The resident memory now, KiB"""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
        return 0

    def kill(self):
        """SIGKILL: no chance to save anything"""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.sampler.join()
        self.proc = None

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
            self.proc = None

    def socket_empty(self):
        """Whether no datagram waits in the input socket"""
        p = subprocess.run(["ss", "-x", "-a", "-n"], capture_output=True,
                           text=True)
        for ln in p.stdout.splitlines():
            f = ln.split()
            if len(f) > 4 and f[4] == self.sock:
                return f[2] == "0"
        return True

    def in_plain_log(self, text):
        if not os.path.exists(self.plain):
            return False
        with open(self.plain, "rb") as f:
            return text.encode() in f.read()




def pump_all(terms, timeout):
    """Read every terminal until each program exits (together, so that
    no session waits for the test to read another's)"""
    end = time.monotonic() + timeout
    while any(t.poll() is None for t in terms):
        check(time.monotonic() < end, "sessions did not end in %d s: %d left"
              % (timeout, sum(t.poll() is None for t in terms)))
        fds = {t.fd: t for t in terms}
        r, _, _ = select.select(list(fds), [], [], 0.2)
        for fd in r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            fds[fd].screen += data
    for t in terms:
        t.pump(0.05)
        check(t.status == 0, "a session ended with %r" % t.status)


def session_conf(conf_dir, agent):
    """tlog-rec-session's file in the private tlog directory conf_dir
    (private_tlog_conf()): no notice, /bin/sh, agent's socket"""
    with open(os.path.join(conf_dir, "tlog-rec-session.conf"), "w") as f:
        json.dump({"notice": "", "shell": "/bin/sh",
                   "agent": {"socket": agent.sock}}, f)


PAM_SU = """auth     sufficient pam_rootok.so
auth     required   pam_unix.so
account  sufficient pam_rootok.so
account  required   pam_unix.so
session  optional   pam_loginuid.so
session  required   pam_unix.so
"""


def private_pam():
    """su and su - (su-l) as a login: root's su through pam_rootok, the
    others' through pam_unix, pam_loginuid giving each its own audit
    session; every other service denied.  For a test in a private mount
    namespace (nsexec.py) only."""
    d = os.path.join(tmp, "pam.d")
    os.makedirs(d)
    for service in ("su", "su-l"):
        with open(os.path.join(d, service), "w") as f:
            f.write(PAM_SU)
    with open(os.path.join(d, "other"), "w") as f:
        f.write("auth required pam_deny.so\naccount required pam_deny.so\n"
                "password required pam_deny.so\n"
                "session required pam_deny.so\n")
    subprocess.run(["mount", "--bind", d, "/etc/pam.d"], check=True)


class ShippedLogins:
    """Recorded logins as a machine makes them, stored in the
    Elasticsearch at es_url: su - (through PAM, pam_loginuid giving the
    login its audit session) starts tlog-rec-session as the user's
    shell; it hands the terminal to tlog-recd, whose host is named host
    and which writes to syslog with the typed input; a private rsyslogd
    running the project's tlog.conf and tlog-es.conf stores every
    message.  Binds its own tlog directory, PAM directory and utmp: for
    a test in a private mount namespace (nsexec.py), one at most; the
    users it makes are the machine's unless private_etc() came first."""

    def __init__(self, name, es_url, host):
        self.conf_dir = os.path.join(tmp, name + "-etc-tlog")
        self.es_url = es_url
        private_tlog_conf(self.conf_dir)
        private_utmp()
        private_pam()
        ensure_user(AGENT_USER, system=True)
        self.rsyslog = EsRsyslog(name + "-rsyslog", int(
            es_url.rstrip("/").rsplit(":", 1)[1])).start()
        self.agent = Agent(name + "-agent", [
            "--writer", "syslog", "--syslog-socket", self.rsyslog.sock,
            "--log-input"], file_writer=False, host=host)
        try:
            self.agent.start()
        except Fail:
            self.rsyslog.stop()
            raise
        session_conf(self.conf_dir, self.agent)

    def login(self, user, script):
        """The terminal of user's recorded login running sh -c script
        (the user made first if missing)"""
        from ptyterm import Term
        ensure_user(user)
        return Term(["su", "-", "-s", os.path.abspath(SESSION), user, "-c",
                     script])

    def stored(self, marker, timeout=60):
        """The messages, in id order, of the recording that showed
        marker, once Elasticsearch holds all of them up to its end"""
        end = time.monotonic() + timeout
        while True:
            es_request(self.es_url, "POST", "/tlog-*/_refresh")
            r = es_request(self.es_url, "POST", "/tlog-*/_search", {
                "size": 1, "query": {"match_phrase": {"out_txt": marker}}})
            hits = r.get("hits", {}).get("hits", [])
            msgs = []
            if hits:
                r = es_request(self.es_url, "POST", "/tlog-*/_search", {
                    "size": 10000, "sort": [{"id": "asc"}], "query": {
                        "term": {"rec": hits[0]["_source"]["rec"]}}})
                msgs = [h["_source"] for h in r["hits"]["hits"]]
            if has_end(msgs):
                return msgs
            check(time.monotonic() < end, "the recording showing %r did"
                  " not arrive whole in %d s (ids %r): agent: %s;"
                  " rsyslogd: %s" % (
                      marker, timeout, [m["id"] for m in msgs][-5:],
                      self.agent.log_text()[-600:], self.rsyslog_said()))
            time.sleep(0.3)

    def rsyslog_said(self):
        """The end of rsyslogd's error file and standard error"""
        said = ""
        for name in ("tlog-err", "stderr"):
            path = os.path.join(self.rsyslog.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    said += "%s: %s " % (name, f.read()[-600:])
        return said

    def stop(self):
        self.agent.stop()
        self.rsyslog.stop()
