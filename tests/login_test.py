#!/usr/bin/env python3
"""Real logins, end to end: a real sshd, the project's NSS and PAM
modules, then a real SSSD, with users the policy selects and users it
does not.

Everything happens in a private mount namespace (the script re-runs
itself under unshare), where the test binds its own /etc/passwd, group,
shadow, nsswitch.conf, pam.d, sssd and tlog directories, dynamic linker
cache (so libnss_tlog.so.2 loads as if installed), /run, /var/log and
/var/lib/sss over the machine's.  The machine's own files and daemons
are never touched; every mount goes away with the namespace.

sshd listens on 127.0.0.1 on a free port; tlog-rec-session writes to a
private rsyslogd; recordings are checked byte for byte against what the
ssh client showed, in our decoder and in the reference tlog-play.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import reexec_in_namespace  # noqa: E402

if __name__ == "__main__":
    reexec_in_namespace("TLOG_LOGIN_TEST_NS", __file__)

import grp  # noqa: E402
import json  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from ptyterm import Term  # noqa: E402
from progtest import (BUILD, SESSION, Agent, Rsyslog, case, check,  # noqa
                      decode, exact, free_port, ref_play, run_cases,
                      session_capability, sshd_config, tmp)

BUILD = os.path.abspath(BUILD)
SRC = os.environ.get("top_srcdir", os.path.join(BUILD, ".."))
NSS_SO = os.path.join(BUILD, "sssd-plugin", "libnss_tlog.so.2")
PAM_SO = os.path.join(BUILD, "sssd-plugin", "pam_tlog.so")
POLICY_TOOL = os.path.join(BUILD, "sssd-plugin", "tlog-policy")
# Where the modules send recorded users, and where SSSD does (Debian's)
OUR_SHELL = os.environ.get("TLOG_REC_SESSION_PATH",
                           "/usr/local/bin/tlog-rec-session")
SSSD_SHELL = "/usr/bin/tlog-rec-session"
SYSCONFDIR = os.environ.get("TLOG_SYSCONFDIR", "/etc")
SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
NOTICE = b"THIS SESSION IS RECORDED"

W = os.path.join(tmp, "world")

# name: uid, real shell, selected by the policy below (and why)
USERS = {
    "alice": (2101, "/bin/dash", True),     # by name
    "bob": (2102, "/bin/bash", False),      # not at all
    "carol": (2103, "/bin/bash", True),     # supplementary group ops
    "dave": (2104, "/bin/sh", True),        # primary group admins
    "erin": (2105, "/bin/bash", True),      # ops; sshd forces internal-sftp
}
# A group line of 40 KB before the policy's groups: the lookups must
# grow their buffers, and never fail open
BIG_GROUP = ["member%05d" % i for i in range(3600)]
GROUPS = {"big": (3100, BIG_GROUP), "ops": (3101, ["carol", "erin"]),
          "admins": (3102, [])}
PRIMARY = {"dave": "admins"}

# One file for both worlds: SSSD reads its domain and the policy, the
# project's modules read the policy
SSSD_CONF = """[sssd]
services = nss, pam
domains = local

[domain/local]
id_provider = proxy
proxy_lib_name = files
auth_provider = none

[session_recording]
scope = some
users = alice
groups = ops, admins
"""

# pam_env reads ~/.pam_environment, as Debian's stock sshd stack does
PAM_COMMON = """auth     required pam_unix.so
account  required pam_unix.so
password required pam_deny.so
session  optional pam_loginuid.so
session  required pam_env.so user_readenv=1
session  required pam_unix.so
"""

state = {}


def put(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def bind(src, dst):
    """Mount src over dst, which is made first if missing"""
    if not os.path.exists(dst):
        if os.path.isdir(src):
            os.makedirs(dst)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            open(dst, "a").close()
    subprocess.run(["mount", "--bind", src, dst], check=True)


def sh(*argv, **kw):
    return subprocess.run(list(argv), check=True, capture_output=True,
                          text=True, **kw)


def users_files():
    """passwd, group, shadow, gshadow: the machine's plus the test's"""
    ent = {}
    for name in ("passwd", "group", "shadow", "gshadow"):
        with open("/etc/" + name) as f:
            ent[name] = [ln for ln in f.read().splitlines()
                         if ln.split(":")[0] not in USERS and
                         ln.split(":")[0] not in GROUPS]
    for name, (uid, shell, _) in USERS.items():
        gid = GROUPS[PRIMARY[name]][0] if name in PRIMARY else uid
        home = os.path.join(W, "home", name)
        ent["passwd"].append("%s:x:%d:%d:%s:%s:%s" % (
            name, uid, gid, name.title(), home, shell))
        digest = sh("openssl", "passwd", "-6", "pw-" + name).stdout.strip()
        ent["shadow"].append("%s:%s:19000:0:99999:7:::" % (name, digest))
        if name not in PRIMARY:
            ent["group"].append("%s:x:%d:" % (name, uid))
            ent["gshadow"].append("%s:!::" % name)
    for name, (gid, members) in GROUPS.items():
        ent["group"].append("%s:x:%d:%s" % (name, gid, ",".join(members)))
        ent["gshadow"].append("%s:!::%s" % (name, ",".join(members)))
    for name, lines in ent.items():
        put(os.path.join(W, "etc", name), "\n".join(lines) + "\n",
            0o640 if name in ("shadow", "gshadow") else 0o644)
        if name in ("shadow", "gshadow"):
            # unix_chkpwd (su as a user) reads it as group shadow
            os.chown(os.path.join(W, "etc", name), 0,
                     grp.getgrnam("shadow").gr_gid)
        bind(os.path.join(W, "etc", name), "/etc/" + name)
    for name, (uid, _, _) in USERS.items():
        home = os.path.join(W, "home", name)
        os.makedirs(home)
        os.chown(home, uid, -1)
        os.chmod(home, 0o700)


def start_sshd():
    d = os.path.join(W, "ssh")
    os.makedirs(os.path.join(d, "keys"))
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
       os.path.join(d, "host"))
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
       os.path.join(d, "client"))
    with open(os.path.join(d, "client.pub")) as f:
        pub = f.read()
    for name in USERS:
        put(os.path.join(d, "keys", name), pub)
    port = free_port()
    put(os.path.join(d, "sshd_config"), sshd_config(port, d, """\
PasswordAuthentication yes
PermitUserRC no
Subsystem sftp %s
AllowTcpForwarding yes
Match User erin
    ForceCommand internal-sftp
""" % SFTP_SERVER))
    os.makedirs("/run/sshd", mode=0o755)
    log = open(os.path.join(d, "sshd.log"), "w")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f",
                             os.path.join(d, "sshd_config")],
                            stdout=log, stderr=log)
    end = time.monotonic() + 15
    while True:
        check(proc.poll() is None and time.monotonic() < end,
              "sshd did not start: %s" % tail(os.path.join(d, "sshd.log")))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    state.update(sshd=proc, port=port, key=os.path.join(d, "client"),
                 sshd_log=os.path.join(d, "sshd.log"))


def tail(path, n=1500):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except OSError as e:
        return str(e)


def start_sssd():
    """SSSD on the same sssd.conf, with private databases and pipes"""
    sss = os.path.join(W, "sss")
    for sub in ("db", "pipes/private", "mc", "pubconf", "gpo_cache",
                "keytabs", "deskprofile", "secrets"):
        os.makedirs(os.path.join(sss, sub))
    bind(sss, "/var/lib/sss")
    os.makedirs("/var/log/sssd", exist_ok=True)
    log = open(os.path.join(W, "sssd.log"), "w")
    proc = subprocess.Popen(["/usr/sbin/sssd", "-i", "--logger=stderr"],
                            stdout=log, stderr=log)
    state["sssd"] = proc
    end = time.monotonic() + 30
    while not (os.path.exists("/var/lib/sss/pipes/nss") and
               os.path.exists("/var/lib/sss/pipes/pam")):
        check(proc.poll() is None and time.monotonic() < end,
              "sssd did not start: %s" % tail(os.path.join(W, "sssd.log")))
        time.sleep(0.1)


def world():
    """The private world every case runs in"""
    os.makedirs(os.path.join(W, "etc"))
    os.chmod(W, 0o755)
    # A private /run (utmp, sshd's directory, the session locks as the
    # project's tmpfiles.d makes them) and /var/log (wtmp, lastlog)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tlog-run",
                    "/run"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tlog-log",
                    "/var/log"], check=True)
    for f in ("/run/utmp", "/var/log/wtmp", "/var/log/lastlog"):
        open(f, "w").close()
        os.chown(f, 0, grp.getgrnam("utmp").gr_gid if f == "/run/utmp"
                 else 0)
        os.chmod(f, 0o664)
    users_files()
    # The policy, and SSSD's configuration: one file
    sssd_dir = os.path.join(W, "etc", "sssd")
    os.makedirs(os.path.join(sssd_dir, "conf.d"))
    os.chmod(sssd_dir, 0o700)
    put(os.path.join(sssd_dir, "sssd.conf"), SSSD_CONF, 0o600)
    bind(sssd_dir, "/etc/sssd")
    if os.path.realpath(SYSCONFDIR) != "/etc":
        bind(sssd_dir, os.path.join(SYSCONFDIR, "sssd"))
    # The modules, where the dynamic linker and PAM find installed ones
    lib = os.path.join(W, "lib")
    os.makedirs(lib)
    for so in (NSS_SO, PAM_SO):
        shutil.copy(so, lib)
    put(os.path.join(W, "ld.so.conf"), "include /etc/ld.so.conf\n%s\n" % lib)
    sh("ldconfig", "-X", "-C", os.path.join(W, "ld.so.cache"), "-f",
       os.path.join(W, "ld.so.conf"))
    bind(os.path.join(W, "ld.so.cache"), "/etc/ld.so.cache")
    # tlog-rec-session, installed where the module and SSSD point
    shutil.copy(SESSION, os.path.join(W, "tlog-rec-session"))
    os.chmod(os.path.join(W, "tlog-rec-session"), 0o755)
    session_capability(os.path.join(W, "tlog-rec-session"))
    bind(os.path.join(W, "tlog-rec-session"), SSSD_SHELL)
    bin_dir = os.path.dirname(OUR_SHELL)
    if os.path.exists(OUR_SHELL):
        bind(os.path.join(W, "tlog-rec-session"), OUR_SHELL)
    elif OUR_SHELL != SSSD_SHELL:
        # Not installed: a directory of its own over the install
        # directory (hiding, in here only, what else it holds)
        os.makedirs(os.path.join(W, "bin"))
        # the same file, so the agent knows it by either name
        os.link(os.path.join(W, "tlog-rec-session"),
                os.path.join(W, "bin", "tlog-rec-session"))
        bind(os.path.join(W, "bin"), bin_dir)
    # The recording agent, where it listens when installed, writing to a
    # private rsyslogd
    rs = Rsyslog("rsyslog")
    rs.start()
    state["rsyslog"] = rs
    agent = Agent("agent", ["--writer", "syslog", "--syslog-socket",
                            rs.sock], file_writer=False,
                  sock="/run/tlog-recd/socket", program=OUR_SHELL)
    state["agent"] = agent.start()
    # (the machine's other files stay: the reference tlog-play needs its
    # own configuration)
    tlog_dir = os.path.join(W, "etc", "tlog")
    if os.path.isdir(os.path.join(SYSCONFDIR, "tlog")):
        shutil.copytree(os.path.join(SYSCONFDIR, "tlog"), tlog_dir)
    else:
        os.makedirs(tlog_dir)
    put(os.path.join(tlog_dir, "tlog-rec-session.conf"), json.dumps({
        "notice": NOTICE.decode() + "\n"}))
    bind(tlog_dir, os.path.join(SYSCONFDIR, "tlog"))
    # PAM and NSS, first with the project's modules
    pam_dir = os.path.join(W, "etc", "pam.d")
    os.makedirs(pam_dir)
    put(os.path.join(pam_dir, "other"), "auth required pam_deny.so\n"
        "account required pam_deny.so\npassword required pam_deny.so\n"
        "session required pam_deny.so\n")
    bind(pam_dir, "/etc/pam.d")
    bind(use_modules(), "/etc/nsswitch.conf")
    start_sshd()


def use_modules():
    """NSS and PAM through the project's modules; returns nsswitch.conf"""
    put(os.path.join(W, "etc", "pam.d", "sshd"), PAM_COMMON +
        "session  required %s\n" % os.path.join(W, "lib", "pam_tlog.so"))
    conf = os.path.join(W, "etc", "nsswitch.conf")
    put(conf, "passwd: tlog files\ngroup: files\nshadow: files\n"
        "hosts: files\n")
    return conf


def use_sssd():
    """NSS and PAM through SSSD (written in place: the mounts stay)"""
    put(os.path.join(W, "etc", "pam.d", "sshd"), PAM_COMMON +
        "session  required pam_sss.so\n")
    put(os.path.join(W, "etc", "nsswitch.conf"), "passwd: sss files\n"
        "group: sss files\nshadow: files\nhosts: files\n")


def recordings(user, settle=1.5, timeout=15):
    """{rec: [messages by id]} of user's recordings, once no more come"""
    rs = state["rsyslog"]
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while True:
        got = {}
        for ln in rs.messages(0, timeout=0):
            m = json.loads(ln)
            if m.get("user") == user:
                got.setdefault(m["rec"], []).append(m)
        now = time.monotonic()
        if got != last:
            last, since = got, now
        elif got and now - since >= settle or now > end:
            break
        time.sleep(0.1)
    for msgs in last.values():
        msgs.sort(key=lambda m: m["id"])
    return last


def ssh_opts(password=False, port_flag="-p"):
    o = ["-F", "/dev/null", port_flag, str(state["port"]),
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
    if password:
        return o + ["-o", "PubkeyAuthentication=no", "-o",
                    "PreferredAuthentications=password", "-o",
                    "NumberOfPasswordPrompts=1"]
    return o + ["-i", state["key"], "-o", "IdentitiesOnly=yes", "-o",
                "BatchMode=yes"]


def ssh_run(user, command, stdin=b"", tty=False):
    """ssh user@host command: (status, stdout, stderr)"""
    argv = ["ssh"] + ssh_opts() + (["-tt"] if tty else ["-T"]) + \
        [user + "@127.0.0.1", command]
    p = subprocess.run(argv, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def wait_after(t, anchor, text, timeout=20):
    """Read until text shows after the first anchor on the screen"""
    end = time.monotonic() + timeout
    while True:
        i = t.screen.find(anchor)
        if i >= 0 and text in t.screen[i + len(anchor):]:
            return True
        if time.monotonic() > end or t.poll() is not None:
            return False
        t.pump(0.05)


def interactive(user, commands, password=False, anchor=NOTICE):
    """Log in at a terminal, wait for the prompt after anchor, run each
    (command, what it prints), exit; returns the terminal"""
    t = Term(["ssh"] + ssh_opts(password) + [user + "@127.0.0.1"],
             cols=200)
    try:
        if password:
            check(t.wait_for(b"password: ", 30), "no password prompt: %r"
                  % t.screen[-300:])
            t.send(b"pw-" + user.encode() + b"\r")
        check(wait_after(t, anchor, b"$ "), "no prompt for %s: %r; sshd: %s"
              % (user, t.screen[-300:], tail(state["sshd_log"], 600)))
        for cmd, want in commands:
            t.send(cmd + b"\r")
            check(wait_after(t, cmd, want), "%s: %r did not show %r: %r"
                  % (user, cmd, want, t.screen[-300:]))
        t.send(b"exit\r")
        st = t.finish(30)
        check(st == 0, "%s: ssh exit status %r" % (user, st))
        return t
    finally:
        t.close()


def one_recording(user):
    """user's only recording, checked whole, as a file"""
    recs = recordings(user)
    check(len(recs) == 1, "%s: %d recordings" % (user, len(recs)))
    rec, msgs = next(iter(recs.items()))
    ids = [m["id"] for m in msgs]
    check(ids == list(range(1, len(ids) + 1)), "%s: ids %r" % (user, ids))
    check(all(m["user"] == user for m in msgs), "user field")
    path = os.path.join(W, "%s-%d.json" % (user, len(os.listdir(W))))
    with open(path, "w") as f:
        f.write("".join(json.dumps(m) + "\n" for m in msgs))
    return path, msgs


def forget_recordings():
    """Start the next case with an empty rsyslog output"""
    open(state["rsyslog"].out, "w").close()


def shells():
    """The shell NSS gives each test user"""
    return {u: pwd.getpwnam(u).pw_shell for u in USERS}


def policy_says():
    """tlog-policy's verdict for each test user"""
    out = {}
    for u in USERS:
        p = subprocess.run([POLICY_TOOL, u], capture_output=True, text=True)
        check(p.returncode in (0, 1), "tlog-policy %s: %r" % (u, p.stderr))
        out[u] = p.returncode == 0
    return out


SELECTED = {u: sel for u, (_, _, sel) in USERS.items()}

# Shown by the session: its shell, the process above it (tlog-rec-session,
# which waits for it; the agent records), and the real shell handed over
PROBE = (b'echo "M1 $(readlink /proc/$$/exe) $(cat /proc/$PPID/comm)'
         b' [$TLOG_REC_SESSION_SHELL] M2"')
RECORDER = b"tlog-rec-sessio"      # as /proc/PID/comm shortens it


@case("modules: getent and tlog-policy agree with the policy")
def modules_select():
    got = shells()
    for u, sel in SELECTED.items():
        want = OUR_SHELL if sel else USERS[u][1]
        check(got[u] == want, "%s: shell %s, want %s" % (u, got[u], want))
    check(policy_says() == SELECTED, "tlog-policy: %r" % policy_says())
    # By uid too, as sshd and login look users up both ways
    check(pwd.getpwuid(USERS["carol"][0]).pw_shell == OUR_SHELL, "by uid")


@case("sshd + modules: a selected user's password login is recorded, "
      "byte-exact")
def modules_password_login():
    forget_recordings()
    t = interactive("alice", [(PROBE, b"M2"),
                              (b"printf 'caf\\303\\251 %s\\n' $((6*7))",
                               b"42")],
                    password=True)
    shown = t.screen.split(NOTICE + b"\r\n", 1)[1]
    check(b"M1 /usr/bin/dash %s [/bin/dash] M2" % RECORDER in shown, "alice's session: %r" % shown[-400:])
    path, msgs = one_recording("alice")
    check(msgs[0].get("term") and msgs[0]["session"] > 0,
          "first message: %r" % msgs[0])
    exact(path, shown)
    check("café 42".encode() in decode(path), "the typed command's output")


@case("sshd + modules: a user outside the policy is not recorded")
def modules_not_selected():
    forget_recordings()
    t = interactive("bob", [(PROBE, b"M2")], anchor=b"")
    check(b"M1 /usr/bin/bash sshd [] M2" in t.screen,
          "bob's session: %r" % t.screen[-400:])
    check(NOTICE not in t.screen, "bob was shown the notice")
    st, out, err = ssh_run("bob", "echo plain-$((2+3))")
    check(st == 0 and out == b"plain-5\n", "bob's command: %r %r"
          % (out, err))
    # carol's recording arriving shows the pipeline was live all along
    st, out, _ = ssh_run("carol", "echo carol-here")
    check(st == 0 and recordings("carol"), "carol was not recorded")
    check(recordings("bob", settle=0.5, timeout=1) == {},
          "bob was recorded")


@case("sshd + modules: ssh host cmd, piped stdin, with and without a tty")
def modules_commands():
    forget_recordings()
    data = b"".join(b"line %d \xe2\x82\xac\n" % i for i in range(2000))
    st, out, err = ssh_run("carol", "cat; echo \"[$0] $(cat "
                           "/proc/$PPID/comm)\"", stdin=data)
    check(st == 0, "status %d: %r" % (st, err))
    check(out == data + b"[bash] %s\n" % RECORDER, "output %r" % out[-200:])
    path, msgs = one_recording("carol")
    check(decode(path) == out and ref_play(path) == out,
          "the recording of a piped command differs from its output")
    check(all("=" not in m["timing"] for m in msgs),
          "window sizes recorded without a terminal")
    forget_recordings()
    st, out, err = ssh_run("dave", "tty; exit 7", tty=True)
    check(st == 7, "exit status through the recorder: %d %r" % (st, err))
    check(out.startswith(NOTICE + b"\r\n/dev/pts/"), "output %r" % out)
    path, _ = one_recording("dave")
    exact(path, out.split(NOTICE + b"\r\n", 1)[1])


@case("sshd + modules: scp and sftp for a recorded user")
def modules_transfers():
    forget_recordings()
    blob = os.urandom(256 * 1024) + bytes(range(256)) * 64
    src = os.path.join(W, "blob")
    with open(src, "wb") as f:
        f.write(blob)
    dest = "carol@127.0.0.1:"
    home = os.path.join(W, "home", "carol")
    scp = ["scp", "-q", "-B"] + ssh_opts(port_flag="-P")
    for how, argv in (("scp (legacy protocol)", scp + ["-O", src,
                                                       dest + "up1"]),
                      ("scp (SFTP protocol)", scp + [src, dest + "up2"])):
        p = subprocess.run(argv, capture_output=True, timeout=60)
        check(p.returncode == 0, "%s: %r" % (how, p.stderr))
    for name in ("up1", "up2"):
        with open(os.path.join(home, name), "rb") as f:
            check(f.read() == blob, "%s arrived changed" % name)
    back = os.path.join(W, "back")
    p = subprocess.run(scp + [dest + "up1", back], capture_output=True,
                       timeout=60)
    check(p.returncode == 0, "scp download: %r" % p.stderr)
    with open(back, "rb") as f:
        check(f.read() == blob, "the download differs")
    batch = os.path.join(W, "batch")
    put(batch, "put %s up3\nget up3 %s.sftp\nls -l up3\nrm up2\n"
        % (src, back))
    p = subprocess.run(["sftp", "-q", "-b", batch] + ssh_opts(
        port_flag="-P") + ["carol@127.0.0.1"], capture_output=True,
        timeout=60)
    check(p.returncode == 0, "sftp: %r %r" % (p.stdout, p.stderr))
    with open(back + ".sftp", "rb") as f:
        check(f.read() == blob, "sftp get differs")
    check(sorted(os.listdir(home)) == ["up1", "up3"] or
          sorted(n for n in os.listdir(home) if n.startswith("up")) ==
          ["up1", "up3"], "carol's home: %r" % os.listdir(home))
    # Every transfer ran through tlog-rec-session and was recorded
    check(len(recordings("carol")) == 4, "carol's recordings: %d"
          % len(recordings("carol")))


PRELOAD_C = r"""
#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void take_over(void)
{
    FILE *f = fopen("%s", "w");
    if (f) { fputs("ran", f); fclose(f); }
    execl("/bin/sh", "sh", "-c", "echo UNRECORDED-SHELL", (char *)0);
}
"""


@case("sshd + ~/.pam_environment: a preloaded library and configuration "
      "do not reach tlog-rec-session")
def modules_pam_environment():
    forget_recordings()
    mark = os.path.join(W, "preload-ran")
    src, lib = os.path.join(W, "evil.c"), os.path.join(W, "evil.so")
    put(src, PRELOAD_C % mark)
    sh("cc", "-shared", "-fPIC", "-o", lib, src)
    os.chmod(lib, 0o755)
    env_file = os.path.join(W, "home", "alice", ".pam_environment")
    put(env_file, "LD_PRELOAD DEFAULT=%s\n"
        "TLOG_REC_SESSION_CONF_FILE DEFAULT=/proc/self/environ\n" % lib)
    os.chown(env_file, USERS["alice"][0], -1)
    try:
        st, out, err = ssh_run("alice", "echo pre=[$LD_PRELOAD]; echo "
                               "conf=[$TLOG_REC_SESSION_CONF_FILE]; "
                               "echo after-login", tty=True)
    finally:
        os.unlink(env_file)
    check(b"conf=[/proc/self/environ]" in out,
          "pam_env did not pass the variables: %r %r" % (out, err))
    check(st == 0 and b"after-login" in out and b"UNRECORDED" not in out,
          "the session did not run recorded: %r %r" % (out, err))
    check(not os.path.exists(mark), "the preloaded library ran")
    path, _ = one_recording("alice")
    exact(path, out.split(NOTICE + b"\r\n", 1)[1])


@case("sshd + modules: port forwarding and internal-sftp sessions leave "
      "a flagged record")
def modules_no_shell():
    forget_recordings()
    lport = free_port()
    fwd = subprocess.Popen(["ssh"] + ssh_opts() + [
        "-N", "-L", "%d:127.0.0.1:%d" % (lport, state["port"]),
        "alice@127.0.0.1"], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", lport), 0.5).close()
                break
            except OSError:
                check(time.monotonic() < end, "the forwarding never came up")
                time.sleep(0.1)
    finally:
        fwd.terminate()
        fwd.wait(timeout=15)
    p = subprocess.run(["sftp"] + ssh_opts(port_flag="-P") + [
        "-b", "-", "erin@127.0.0.1"], input=b"ls /\n", capture_output=True,
        timeout=60)
    check(p.returncode == 0, "sftp as erin: %r" % p.stderr)
    for user in ("alice", "erin"):
        recs = recordings(user)
        flagged = [m for ms in recs.values() for m in ms
                   if "x_tlog_unrecorded" in m]
        check(len(recs) == 1 and len(flagged) == 1,
              "%s: %d recordings, %d flagged" % (user, len(recs),
                                                  len(flagged)))
        f = flagged[0]
        check(f["x_tlog_unrecorded"]["service"] == "sshd" and
              f["x_tlog_unrecorded"]["rhost"] == "127.0.0.1" and
              f["session"] > 0 and f["user"] == user and
              f["x_tlog_end"] == {"session": "unrecorded"},
              "flagged record: %r" % f)
        path, _ = one_recording(user)
        check(decode(path) == b"" and ref_play(path) == b"",
              "the flagged record does not play as empty")


@case("sshd + su: su - in a recorded session is recorded again, in the "
      "other user's name; a planted lock changes nothing")
def modules_su():
    forget_recordings()
    os.makedirs("/run/tlog-sessions", exist_ok=True)
    os.chmod("/run/tlog-sessions", 0o1777)
    for service in ("su", "su-l"):     # su - is su-l
        put(os.path.join(W, "etc", "pam.d", service), PAM_COMMON.replace(
            "session  optional pam_loginuid.so\n", "") +
            "session  required %s\n" % os.path.join(W, "lib", "pam_tlog.so"))
    t = Term(["ssh"] + ssh_opts() + ["-tt", "alice@127.0.0.1"], cols=200)
    try:
        check(wait_after(t, NOTICE, b"$ "), "no prompt: %r" % t.screen)
        t.send(b"s=$(cat /proc/self/sessionid); for p in $$ $PPID; do "
               b"echo 1 >/run/tlog-sessions/$s-$p.lock; done; echo PLANTED\r")
        check(wait_after(t, b"PLANTED\r\n", b"$ "), "could not plant")
        t.send(b"su - carol\r")
        check(t.wait_for(b"Password: "), "no password prompt: %r" %
              t.screen[-200:])
        t.send(b"pw-carol\r")
        check(wait_after(t, b"Password: ", b"$ "), "no prompt as carol: %r"
              % t.screen[-300:])
        t.send(b"echo as-$(id -un)\r")
        check(t.wait_for(b"as-carol"), "not carol: %r" % t.screen[-200:])
        t.send(b"exit\r")
        time.sleep(0.5)
        t.send(b"exit\r")
        check(t.finish(30) == 0, "ssh exit status %r" % t.status)
    finally:
        t.close()
    carol = recordings("carol")
    check(len(carol) == 1, "carol: %d recordings" % len(carol))
    path, msgs = one_recording("carol")
    check(b"as-carol" in decode(path), "carol's recording lacks her output")
    check(msgs[0]["session"] > 0, "no audit session")
    path, _ = one_recording("alice")
    check(b"as-carol" in decode(path), "alice's recording lacks the su")


@case("sssd: the same policy through a real SSSD selects the same users")
def sssd_select():
    start_sssd()
    use_sssd()
    got = shells()
    for u, sel in SELECTED.items():
        want = SSSD_SHELL if sel else USERS[u][1]
        check(got[u] == want, "%s: SSSD says %s, want %s" % (u, got[u], want))
    check(policy_says() == SELECTED, "tlog-policy: %r" % policy_says())


@case("sssd + sshd: tlog-rec-session runs the shell SSSD passes, byte-exact")
def sssd_login():
    forget_recordings()
    t = interactive("dave", [(PROBE, b"M2")])
    shown = t.screen.split(NOTICE + b"\r\n", 1)[1]
    check(b"M1 /usr/bin/dash %s [/bin/sh] M2" % RECORDER in shown,
          "dave's session: %r" % shown[-400:])
    path, _ = one_recording("dave")
    exact(path, shown)
    st, out, _ = ssh_run("bob", "echo $0")
    check(st == 0 and out == b"bash\n", "bob through SSSD: %r" % out)
    st, out, _ = ssh_run("alice", "echo $0")
    check(st == 0 and out == b"dash\n", "alice through SSSD: %r" % out)
    check(recordings("alice") and recordings("bob", 0.5, 1) == {},
          "SSSD: alice recorded, bob not")


def stop(name):
    p = state.pop(name, None)
    if p is not None and p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    for tool in (SSHD, "/usr/sbin/sssd", "rsyslogd", "unshare", "setcap",
                 "ssh", "scp", "sftp", SFTP_SERVER):
        if shutil.which(tool) is None:
            print("FAIL setup: %s not found (run tools/install-deps)" % tool)
            return 1
    try:
        world()
    except Exception as e:
        print("FAIL setup: %s" % e)
        for name in ("sshd", "sssd"):
            stop(name)
        if "agent" in state:
            state.pop("agent").stop()
        if "rsyslog" in state:
            state.pop("rsyslog").stop()
        return 1
    try:
        return run_cases("login", sys.argv[1:])
    finally:
        for name in ("sshd", "sssd"):
            stop(name)
        if "agent" in state:
            state.pop("agent").stop()
        if "rsyslog" in state:
            state.pop("rsyslog").stop()


if __name__ == "__main__":
    sys.exit(main())
