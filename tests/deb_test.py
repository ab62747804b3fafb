#!/usr/bin/env python3
"""The Debian packages, end to end: built from the tree with
dpkg-buildpackage (or taken ready from the directory TLOG_DEBS), checked
by lintian, installed with dpkg on a copy of this machine, a recorded
login through sshd there, then purged.

The copy is an overlay over the machine's root file system, its changes
kept in a temporary directory, entered with chroot in a private mount
namespace (the script re-runs itself under unshare): dpkg, the postinst
scripts, the users they add and the test's own user change only the
copy.  Debian's tlog package, which the machine has for the interop
tests, is purged in the copy first (the packages conflict with it).

Recording is enabled the way an administrator would: by the policy
(/etc/sssd/conf.d/session-recording.conf, from the file the package
ships), and no other file.  NSS and PAM come from the packages'
maintainer scripts; the agent runs as its unit's ExecStart says (no
systemd runs here, so the test starts it), with the shipped
configuration: its journal writer, with no journal daemon, writes to
syslog, where a private rsyslogd takes recordings through the rules the
package made for the agent's uid.  The recording is replayed by the
installed tlog-play and by our decoder, and must give what the ssh
client showed, byte for byte.  After the purge the same user logs in,
unrecorded, and nsswitch.conf and PAM are as before.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_DEB_TEST_NS", __file__)

import glob  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (BUILD, CODEC, TOP, case, check, free_port,  # noqa
                      run_cases, sshd_config, tmp, wait_after)

BUILD = os.path.abspath(BUILD)
TOP = os.path.abspath(TOP)
ROOT = os.path.join(tmp, "root")        # the copy's root, from outside
T_IN = "/tmp/deb-test"                  # the test's directory, inside
T = ROOT + T_IN                         # the same, from outside
PACKAGES = ("tlog-host", "tlog-auditor", "tlog-collector")
USER = "debrec"
SHIPPED_POLICY = "/usr/share/tlog/sssd/session-recording.conf"
POLICY = "/etc/sssd/conf.d/session-recording.conf"
# what the shipped tlog-rec-session.conf has the agent show
NOTICE = b"ATTENTION! Your session is being recorded!\r\n\r\n"
PROBE = (b'echo "M1 $(readlink /proc/$$/exe) $(cat /proc/$PPID/comm) M2"')

state = {"procs": []}


def tail(path, n=1500):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError as e:
        return str(e)


def inside(*argv, timeout=600, check_rc=True, env=None):
    """Run argv in the copy: the CompletedProcess, text"""
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
         "DEBIAN_FRONTEND": "noninteractive"}
    e.update(env or {})
    p = subprocess.run(["chroot", ROOT] + list(argv), capture_output=True,
                       text=True, timeout=timeout, env=e)
    if check_rc:
        check(p.returncode == 0, "%s: status %d: %s%s" % (
            " ".join(argv), p.returncode, p.stdout[-1500:],
            p.stderr[-1500:]))
    return p


def start_inside(name, argv):
    """Start a daemon in the copy, its output in the test's directory"""
    log = open(os.path.join(T, name + ".log"), "ab")
    p = subprocess.Popen(["chroot", ROOT] + argv, stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL, start_new_session=True,
                         env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                              "LANG": "C.UTF-8"})
    state["procs"].append(p)
    state[name] = p
    return p


def stop_inside(name):
    p = state.pop(name, None)
    if p is None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def wait_for(cond, what, proc=None, log=None, timeout=20):
    end = time.monotonic() + timeout
    while not cond():
        check(time.monotonic() < end and (proc is None or
                                          proc.poll() is None),
              "%s%s" % (what, ": " + tail(log) if log else ""))
        time.sleep(0.1)


def source_copy(dst):
    """The tree's files (a git checkout's, or a distribution's) in dst"""
    if os.path.isdir(os.path.join(TOP, ".git")) or \
            os.path.isfile(os.path.join(TOP, ".git")):
        files = subprocess.run(["git", "-C", TOP, "ls-files", "-co",
                                "--exclude-standard", "-z"],
                               capture_output=True, check=True).stdout
        os.makedirs(dst)
        for rel in files.decode().split("\0"):
            first = rel.split("/")[0]
            if not rel or not os.path.lexists(os.path.join(TOP, rel)) or \
                    first == "build" or first.startswith("build-") or \
                    rel.startswith("debian/build/"):
                continue
            os.makedirs(os.path.dirname(os.path.join(dst, rel)),
                        exist_ok=True)
            shutil.copy2(os.path.join(TOP, rel), os.path.join(dst, rel),
                         follow_symlinks=False)
    else:
        shutil.copytree(TOP, dst, symlinks=True, ignore=shutil.ignore_patterns(
            "_build", "_inst", "build", "build-san", "build-fuzz",
            "config.status", "config.log", "Makefile", "config.h", "*.o",
            "*.a"))
        for f in glob.glob(os.path.join(dst, "**"), recursive=True):
            os.chmod(f, os.stat(f).st_mode | 0o200)


@case("packages: dpkg-buildpackage builds the three from the tree")
def build():
    debs = os.environ.get("TLOG_DEBS")
    if not debs:
        debs = os.path.join(tmp, "debs")
        src = os.path.join(debs, "tlog-suite")
        source_copy(src)
        env = dict(os.environ)
        env["DEB_BUILD_OPTIONS"] = "nocheck parallel=2"
        for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "top_builddir",
                  "top_srcdir"):
            env.pop(k, None)
        log = os.path.join(debs, "build.log")
        with open(log, "w") as f:
            p = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"],
                               cwd=src, stdout=f, stderr=f, env=env,
                               timeout=5400)
        check(p.returncode == 0, "dpkg-buildpackage: %s" % tail(log, 3000))
    found = {}
    for path in glob.glob(os.path.join(debs, "*.deb")):
        found[os.path.basename(path).split("_")[0]] = path
    check(all(p in found for p in PACKAGES), "packages: %r" % sorted(found))
    state["debs"] = [found[p] for p in PACKAGES]
    state["changes"] = glob.glob(os.path.join(debs, "*.changes"))
    # what each holds, where Debian expects it
    have = {}
    for p in PACKAGES:
        out = subprocess.run(["dpkg-deb", "-c", found[p]], capture_output=True,
                             text=True, check=True).stdout
        have[p] = {ln.split()[-1].lstrip(".") for ln in out.splitlines()}
    multiarch = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"],
                               capture_output=True, text=True,
                               check=True).stdout.strip()
    for p, paths in (
            ("tlog-host", ["/usr/bin/tlog-rec-session", "/usr/bin/tlog-rec",
                           "/usr/sbin/tlog-recd", "/usr/bin/tlog-policy",
                           "/usr/bin/aushape", "/usr/libexec/aushape-plugin",
                           "/usr/lib/%s/libnss_tlog.so.2" % multiarch,
                           "/usr/lib/%s/security/pam_tlog.so" % multiarch,
                           "/etc/tlog/tlog-recd.conf",
                           "/etc/tlog/tlog-rec-session.conf",
                           "/lib/systemd/system/tlog-recd.socket",
                           "/usr/lib/sysusers.d/tlog-recd.conf",
                           "/usr/lib/tmpfiles.d/tlog-recd.conf",
                           "/usr/share/pam-configs/tlog",
                           "/usr/share/tlog/rsyslog/tlog.conf",
                           SHIPPED_POLICY]),
            ("tlog-auditor", ["/usr/bin/tlog-play", "/usr/sbin/tlog-web",
                              "/usr/bin/tlog-verify",
                              "/usr/share/tlog/web/index.html",
                              "/etc/tlog/tlog-web.conf",
                              "/etc/pam.d/tlog-web",
                              "/lib/systemd/system/tlog-web.service"]),
            ("tlog-collector", ["/usr/share/tlog/rsyslog/tlog-es.conf",
                                "/usr/sbin/tlog-seal",
                                "/usr/share/tlog/rsyslog/tlog-seal.conf",
                                "/usr/share/tlog/elasticsearch/"
                                "tlog-template.json"])):
        missing = [x for x in paths if x not in have[p]]
        check(not missing, "%s lacks %r" % (p, missing))


@case("packages: lintian reports no errors")
def lintian():
    check(state.get("changes"), "no .changes file")
    p = subprocess.run(["lintian", "--tag-display-limit", "0"] +
                       state["changes"], capture_output=True, text=True,
                       timeout=1800)
    print("lintian (exit status %d):" % p.returncode)
    for ln in (p.stdout + p.stderr).splitlines():
        print("  " + ln)
    errors = [ln for ln in p.stdout.splitlines() if ln.startswith("E:")]
    check(not errors, "lintian errors: %s" % "\n".join(errors))
    check(p.returncode == 0, "lintian exit status %d" % p.returncode)


def make_root():
    """The overlay over / in ROOT, with its own /dev, /proc, /run, /tmp"""
    ovl = os.path.join(tmp, "ovl")
    os.makedirs(ovl)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tlog-deb",
                    ovl], check=True)
    for d in ("upper", "work"):
        os.makedirs(os.path.join(ovl, d))
    os.makedirs(ROOT)
    subprocess.run(["mount", "-t", "overlay", "-o",
                    "lowerdir=/,upperdir=%s/upper,workdir=%s/work"
                    % (ovl, ovl), "tlog-deb-root", ROOT], check=True)
    for d, kind, opts in (("proc", "proc", "nosuid,nodev,noexec"),
                          ("run", "tmpfs", "mode=755"),
                          ("tmp", "tmpfs", "mode=1777"),
                          ("dev", "tmpfs", "mode=755")):
        subprocess.run(["mount", "-t", kind, "-o", opts, "tlog-deb-" + d,
                        os.path.join(ROOT, d)], check=True)
    # the devices programs open, and a pseudo-terminal instance of its own
    for dev in ("null", "zero", "full", "random", "urandom", "tty"):
        open(os.path.join(ROOT, "dev", dev), "w").close()
        subprocess.run(["mount", "--bind", "/dev/" + dev,
                        os.path.join(ROOT, "dev", dev)], check=True)
    os.makedirs(os.path.join(ROOT, "dev", "pts"))
    subprocess.run(["mount", "-t", "devpts", "-o",
                    "newinstance,ptmxmode=0666,mode=620,gid=5",
                    "tlog-deb-pts", os.path.join(ROOT, "dev", "pts")],
                   check=True)
    os.symlink("pts/ptmx", os.path.join(ROOT, "dev", "ptmx"))
    os.makedirs(os.path.join(ROOT, "dev", "shm"), mode=0o1777)
    os.chmod(os.path.join(ROOT, "dev", "shm"), 0o1777)
    os.makedirs(T)
    os.chmod(T, 0o755)
    inside("sh", "-c", "touch /run/utmp && chgrp utmp /run/utmp && "
           "chmod 664 /run/utmp")


@case("install: dpkg -i on a copy of this machine, Debian's tlog purged")
def install():
    make_root()
    debs_in = os.path.join(T, "debs")
    os.makedirs(debs_in)
    for d in state["debs"]:
        shutil.copy(d, debs_in)
    with open(os.path.join(ROOT, "etc", "nsswitch.conf")) as f:
        state["nsswitch"] = f.read()
    state["pam"] = {}
    for name in ("common-session", "common-session-noninteractive"):
        with open(os.path.join(ROOT, "etc", "pam.d", name)) as f:
            state["pam"][name] = f.read()
    ref = inside("dpkg-query", "-W", "-f", "${Status}", "tlog",
                 check_rc=False)
    if "installed" in ref.stdout:
        inside("dpkg", "--purge", "tlog")
    inside("dpkg", "-i", *[T_IN + "/debs/" + os.path.basename(d)
                           for d in state["debs"]])
    for p in PACKAGES:
        st = inside("dpkg-query", "-W", "-f", "${Status}", p).stdout
        check(st == "install ok installed", "%s: %s" % (p, st))
    # what the maintainer scripts did
    check(passwd_line().split()[1] == "tlog", "nsswitch.conf: %r"
          % passwd_line())
    with open(os.path.join(ROOT, "etc", "pam.d", "common-session")) as f:
        check("pam_tlog.so" in f.read(), "pam_tlog not in common-session")
    cap = inside("getcap", "/usr/bin/tlog-rec-session").stdout
    check("cap_audit_write" in cap, "capability: %r" % cap)
    uid = inside("id", "-u", "tlog-recd").stdout.strip()
    with open(os.path.join(ROOT, "etc", "tlog", "rsyslog",
                           "tlog.conf")) as f:
        rules = f.read()
    check('set $.tlog!agent = "%s";' % uid in rules,
          "the rsyslog rules do not name the agent's uid %s" % uid)
    check(os.path.islink(os.path.join(
        ROOT, "etc", "systemd", "system", "sockets.target.wants",
        "tlog-recd.socket")), "tlog-recd.socket is not enabled")
    conffiles = inside("dpkg-query", "-W", "-f", "${Conffiles}",
                       "tlog-host").stdout
    check("/etc/tlog/tlog-recd.conf" in conffiles, "conffiles: %r"
          % conffiles)
    state["agent_uid"] = int(uid)


def start_rsyslogd():
    """rsyslogd on the copy's /dev/log: the package's rules for the
    agent's messages, and the two rulesets they call writing files (the
    store, for this test)"""
    conf = os.path.join(T, "rsyslog.conf")
    os.makedirs(os.path.join(T, "rsyslog"))
    with open(conf, "w") as f:
        f.write("""
global(workDirectory="%(t)s/rsyslog" maxMessageSize="64k")
module(load="imuxsock" SysSock.Annotate="on" SysSock.ParseTrusted="on"
       SysSock.RateLimit.Interval="0")
template(name="doc" type="list") {
    property(name="$.tlog!msg") constant(value="\\n")
}
template(name="event" type="list") {
    property(name="$.tlog!event") constant(value="\\n")
}
ruleset(name="tlog-ship") {
    action(type="omfile" file="%(t)s/recordings.json" template="doc")
}
ruleset(name="tlog-ship-forgery") {
    action(type="omfile" file="%(t)s/forgeries.json" template="event")
}
include(file="/etc/tlog/rsyslog/tlog.conf")
action(type="omfile" file="%(t)s/other.log")
""" % {"t": T_IN})
    for name in ("recordings.json", "forgeries.json"):
        open(os.path.join(T, name), "w").close()
    p = start_inside("rsyslogd", ["rsyslogd", "-n", "-f", T_IN +
                                  "/rsyslog.conf", "-i",
                                  T_IN + "/rsyslog/pid"])
    wait_for(lambda: os.path.exists(os.path.join(ROOT, "dev", "log")),
             "rsyslogd did not start", p, os.path.join(T, "rsyslogd.log"))


def start_agent():
    """tlog-recd as its unit starts it"""
    with open(os.path.join(ROOT, "lib", "systemd", "system",
                           "tlog-recd.service")) as f:
        argv = [ln.split("=", 1)[1].split() for ln in f.read().splitlines()
                if ln.startswith("ExecStart=")][0]
    p = start_inside("agent", argv)
    wait_for(lambda: os.path.exists(os.path.join(ROOT, "run", "tlog-recd",
                                                 "socket")),
             "tlog-recd did not start", p, os.path.join(T, "agent.log"))


def start_sshd():
    d = os.path.join(T, "ssh")
    os.makedirs(os.path.join(d, "keys"))
    for key in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(d, key)], check=True)
    shutil.copy(os.path.join(d, "client.pub"),
                os.path.join(d, "keys", USER))
    port = free_port()
    with open(os.path.join(d, "sshd_config"), "w") as f:
        f.write(sshd_config(port, T_IN + "/ssh",
                            "PasswordAuthentication no\n"))
    os.makedirs(os.path.join(ROOT, "run", "sshd"), mode=0o755)
    p = start_inside("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f",
                              T_IN + "/ssh/sshd_config"])

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False
    wait_for(listening, "sshd did not start", p, os.path.join(T, "sshd.log"))
    state["port"] = port
    state["key"] = os.path.join(d, "client")


def login(commands, anchor):
    """ssh USER@127.0.0.1 at a terminal: wait for a prompt after anchor,
    run each (command, what it prints), exit; returns the terminal"""
    t = Term(["ssh", "-F", "/dev/null", "-p", str(state["port"]),
              "-o", "StrictHostKeyChecking=no",
              "-o", "UserKnownHostsFile=/dev/null",
              "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
              "-i", state["key"], "-o", "IdentitiesOnly=yes",
              "-o", "BatchMode=yes", USER + "@127.0.0.1"], cols=120)
    try:
        check(wait_after(t, anchor, b"$ ", 30), "no prompt: %r; sshd: %s; "
              "agent: %s" % (t.screen[-300:],
                             tail(os.path.join(T, "sshd.log"), 800),
                             tail(os.path.join(T, "agent.log"), 800)))
        for cmd, want in commands:
            t.send(cmd + b"\r")
            check(wait_after(t, cmd, want, 30), "%r did not show %r: %r"
                  % (cmd, want, t.screen[-300:]))
        t.send(b"exit\r")
        st = t.finish(30)
        check(st == 0, "ssh exit status %r" % st)
        return t
    finally:
        t.close()


def recordings(settle=2.0, timeout=30):
    """The messages of USER's recordings, by rec, once complete"""
    end = time.monotonic() + timeout
    while True:
        got = {}
        with open(os.path.join(T, "recordings.json")) as f:
            for ln in f:
                m = json.loads(ln)
                if m.get("user") == USER:
                    got.setdefault(m["rec"], []).append(m)
        for msgs in got.values():
            msgs.sort(key=lambda m: m["id"])
        if got and all("x_tlog_end" in msgs[-1] for msgs in got.values()) \
                or time.monotonic() > end:
            return got
        time.sleep(0.2)


@case("recorded login: the policy names the user; sshd login, replayed "
      "byte-exact by the installed tlog-play")
def recorded_login():
    check("port" not in state, "set up twice")
    inside("useradd", "-m", "-s", "/bin/bash", USER)
    inside("sh", "-c", "echo %s:pw-%s | chpasswd" % (USER, USER))
    # The one file the test writes: the policy, from the shipped one
    with open(ROOT + SHIPPED_POLICY) as f:
        shipped = f.read()
    check("users = contractor1, contractor2" in shipped, "shipped policy")
    policy = shipped.replace("users = contractor1, contractor2",
                             "users = " + USER)
    policy = policy.replace("\ngroups = admins", "\n# groups = admins")
    os.makedirs(os.path.dirname(ROOT + POLICY), exist_ok=True)
    with open(ROOT + POLICY, "w") as f:
        f.write(policy)
    os.chmod(ROOT + POLICY, 0o600)
    p = inside("tlog-policy", USER, check_rc=False)
    check(p.returncode == 0, "tlog-policy: %s%s" % (p.stdout, p.stderr))
    shell = inside("getent", "passwd", USER).stdout.strip().split(":")[-1]
    check(shell == "/usr/bin/tlog-rec-session", "shell %r" % shell)
    start_rsyslogd()
    start_agent()
    start_sshd()
    t = login([(PROBE, b"M2"),
               (b"printf 'deb\\303\\251 %s\\n' $((6*7))", b"42")],
              anchor=NOTICE)
    shown = t.screen.split(NOTICE, 1)[1]
    check(b"M1 /usr/bin/bash tlog-rec-sessio M2" in shown,
          "not under tlog-rec-session: %r" % shown[-400:])
    recs = recordings()
    check(len(recs) == 1, "%d recordings of %s" % (len(recs), USER))
    msgs = next(iter(recs.values()))
    check([m["id"] for m in msgs] == list(range(1, len(msgs) + 1)),
          "ids %r" % [m["id"] for m in msgs])
    check("x_tlog_end" in msgs[-1], "no end message")
    check(all(m["x_tlog_sender"]["uid"] == state["agent_uid"]
              for m in msgs), "a message not from the agent's uid")
    check(os.path.getsize(os.path.join(T, "forgeries.json")) == 0,
          "forgery events: %s" % tail(os.path.join(T, "forgeries.json")))
    path_in = T_IN + "/recording.json"
    with open(ROOT + path_in, "w") as f:
        f.write("".join(json.dumps(m) + "\n" for m in msgs))
    play = subprocess.run(["chroot", ROOT, "/usr/bin/tlog-play", "-g", "end",
                           "-i", path_in], capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=60)
    check(play.returncode == 0, "tlog-play: %r" % play.stderr)
    check(play.stdout == shown, "tlog-play differs from the screen: %r vs %r"
          % (play.stdout[-120:], shown[-120:]))
    ours = subprocess.run([CODEC, "decode", "--packets", ROOT + path_in],
                          capture_output=True, text=True, check=True).stdout
    out = b"".join(bytes.fromhex(ln.split()[2]) for ln in ours.splitlines()
                   if ln.startswith("o ") and len(ln.split()) > 2)
    check(out == shown, "the decoder differs from the screen")
    check("debé 42".encode() in shown, "the command's output")


def passwd_line():
    with open(os.path.join(ROOT, "etc", "nsswitch.conf")) as f:
        return [ln for ln in f.read().splitlines()
                if ln.startswith("passwd:")][0]


@case("remove and install again: the NSS service goes and comes back")
def reinstall():
    check("port" in state, "no recorded login before")
    inside("dpkg", "--remove", "tlog-host")
    with open(os.path.join(ROOT, "etc", "nsswitch.conf")) as f:
        check(f.read() == state["nsswitch"], "nsswitch.conf: %r"
              % passwd_line())
    with open(os.path.join(ROOT, "etc", "pam.d", "common-session")) as f:
        check("pam_tlog" not in f.read(), "pam_tlog left in PAM")
    inside("dpkg", "-i", T_IN + "/debs/" +
           os.path.basename(state["debs"][0]))
    check(passwd_line().split()[1] == "tlog", "nsswitch.conf: %r"
          % passwd_line())
    with open(os.path.join(ROOT, "etc", "pam.d", "common-session")) as f:
        check("pam_tlog.so" in f.read(), "pam_tlog not in PAM again")


@case("purge: NSS and PAM as before, the user logs in unrecorded")
def purge():
    check("port" in state, "no recorded login before")
    # as systemd would stop it when the package goes
    stop_inside("agent")
    inside("dpkg", "--purge", *PACKAGES)
    for p in PACKAGES:
        st = inside("dpkg-query", "-W", "-f", "${Status}", p,
                    check_rc=False).stdout
        check("installed" not in st or "not-installed" in st,
              "%s: %s" % (p, st))
    with open(os.path.join(ROOT, "etc", "nsswitch.conf")) as f:
        now = f.read()
    check(now == state["nsswitch"], "nsswitch.conf differs: %r" % now)
    for name, before in state["pam"].items():
        with open(os.path.join(ROOT, "etc", "pam.d", name)) as f:
            text = f.read()
        check("pam_tlog" not in text, "%s names pam_tlog" % name)
        check(text == before, "%s differs from before" % name)
    for path in ("/usr/bin/tlog-rec-session", "/etc/tlog/tlog-recd.conf",
                 "/etc/tlog/rsyslog", "/usr/share/pam-configs/tlog",
                 "/usr/sbin/tlog-recd"):
        check(not os.path.lexists(ROOT + path), "%s is left" % path)
    check(not glob.glob(ROOT + "/usr/lib/*/libnss_tlog.so*"),
          "the NSS module is left")
    shell = inside("getent", "passwd", USER).stdout.strip().split(":")[-1]
    check(shell == "/bin/bash", "shell %r" % shell)
    size = os.path.getsize(os.path.join(T, "recordings.json"))
    t = login([(PROBE, b"M2")], anchor=b"")
    check(b"M1 /usr/bin/bash sshd M2" in t.screen,
          "session: %r" % t.screen[-400:])
    check(NOTICE not in t.screen, "the notice was shown")
    time.sleep(1)
    check(os.path.getsize(os.path.join(T, "recordings.json")) == size,
          "a recording after the purge")


def main():
    only = sys.argv[1:]
    try:
        return run_cases("deb_test", only)
    finally:
        for p in state["procs"]:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        # before the temporary directory is removed: none of the copy's
        # files may be reached through it
        for m in (ROOT, os.path.join(tmp, "ovl")):
            if os.path.ismount(m):
                subprocess.run(["umount", "-R", "-l", m])


if __name__ == "__main__":
    sys.exit(main())
