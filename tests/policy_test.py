#!/usr/bin/env python3
"""The NSS and PAM modules and tlog-policy, without touching the
machine's own NSS or PAM: users and groups come from nss_wrapper's
files, PAM services from pam_wrapper's directory, the policy from
private files (TLOG_SSSD_CONF, TLOG_SSSD_CONF_DIR).

Each check runs in a child Python with the wrappers preloaded.
"""
import json
import os
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nsexec import skip_unless_root  # noqa: E402
from progtest import BUILD, Agent, case, check, run_cases, tmp  # noqa: E402

BUILD = os.path.abspath(BUILD)
NSS_SO = os.path.join(BUILD, "sssd-plugin", "libnss_tlog.so.2")
PAM_SO = os.path.join(BUILD, "sssd-plugin", "pam_tlog.so")
POLICY = os.path.join(BUILD, "sssd-plugin", "tlog-policy")
LIBDIR = "/usr/lib/x86_64-linux-gnu"
NSS_WRAPPER = os.path.join(LIBDIR, "libnss_wrapper.so")
PAM_WRAPPER = os.path.join(LIBDIR, "libpam_wrapper.so")

PASSWD = """alice:x:2001:2001:Alice A:/home/alice:/bin/bash
bob:x:2002:2002:Bob B:/home/bob:/bin/zsh
carol:x:2003:2003:Carol C:/home/carol:/bin/sh
dave:x:2004:3000:Dave D:/home/dave:/bin/dash
"""
GROUP = """alice:x:2001:
bob:x:2002:
carol:x:2003:
admins:x:3000:
ops:x:3001:carol
"""


def setup(policy, name, passwd=PASSWD, group=GROUP):
    """A private world: passwd, group, sssd.conf, conf.d"""
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "conf.d"))
    for fname, text in (("passwd", passwd), ("group", group),
                        ("sssd.conf", policy)):
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)
    os.chmod(os.path.join(d, "sssd.conf"), 0o600)
    env = dict(os.environ)
    env.update(NSS_WRAPPER_PASSWD=os.path.join(d, "passwd"),
               NSS_WRAPPER_GROUP=os.path.join(d, "group"),
               TLOG_SSSD_CONF=os.path.join(d, "sssd.conf"),
               TLOG_SSSD_CONF_DIR=os.path.join(d, "conf.d"),
               LD_PRELOAD=NSS_WRAPPER)
    return d, env


NSS_PROBE = textwrap.dedent("""
    import ctypes, json, sys
    class Passwd(ctypes.Structure):
        _fields_ = [("name", ctypes.c_char_p), ("passwd", ctypes.c_char_p),
                    ("uid", ctypes.c_uint), ("gid", ctypes.c_uint),
                    ("gecos", ctypes.c_char_p), ("dir", ctypes.c_char_p),
                    ("shell", ctypes.c_char_p)]
    so = ctypes.CDLL(sys.argv[1])
    out = {}
    for key in sys.argv[3:]:
        pw = Passwd()
        size = int(sys.argv[2])
        buf = ctypes.create_string_buffer(size)
        err = ctypes.c_int(0)
        if key.isdigit():
            st = so._nss_tlog_getpwuid_r(int(key), ctypes.byref(pw), buf,
                                         size, ctypes.byref(err))
        else:
            st = so._nss_tlog_getpwnam_r(key.encode(), ctypes.byref(pw),
                                         buf, size, ctypes.byref(err))
        ent = None
        if st == 1:
            ent = [pw.name.decode(), pw.uid, pw.gid, pw.gecos.decode(),
                   pw.dir.decode(), pw.shell.decode()]
        out[key] = [st, err.value, ent]
    print(json.dumps(out))
""")


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def nss(env, keys, size=4096, nobody=False, prefix=()):
    # An unprivileged probe runs the system's Python: the tests' own may
    # sit where such a user cannot reach
    py = "/usr/bin/python3" if nobody else sys.executable
    p = subprocess.run(list(prefix) + [py, "-c", NSS_PROBE, NSS_SO,
                                       str(size)]
                       + keys, env=env, capture_output=True, text=True,
                       timeout=30, preexec_fn=as_nobody if nobody else None)
    check(p.returncode == 0, "NSS probe failed: %s" % p.stderr)
    return json.loads(p.stdout)


def shell_of(env, user):
    """The shell NSS gives user (nss_wrapper consults its files before
    a module, so this is the user's real shell)"""
    e = dict(env, NSS_WRAPPER_MODULE_SO_PATH=NSS_SO,
             NSS_WRAPPER_MODULE_FN_PREFIX="tlog")
    p = subprocess.run([sys.executable, "-c",
                        "import pwd,sys; print(pwd.getpwnam(sys.argv[1])"
                        ".pw_shell)", user], env=e, capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, "getpwnam(%s) failed: %s" % (user, p.stderr))
    return p.stdout.strip()


def tlog_rec_session():
    """The shell the modules hand out: the installed tlog-rec-session
    (make check says where; the default prefix otherwise)"""
    return os.environ.get("TLOG_REC_SESSION_PATH",
                          "/usr/local/bin/tlog-rec-session")


@case("nss: selected users get tlog-rec-session, the rest untouched")
def nss_selects():
    _, env = setup("[session_recording]\nscope = some\nusers = alice\n"
                   "groups = ops, admins\n", "nss")
    got = nss(env, ["alice", "bob", "carol", "dave", "nobody-here",
                    "2001", "2002"])
    shell = tlog_rec_session()
    check(got["alice"] == [1, 0, ["alice", 2001, 2001, "Alice A",
                                  "/home/alice", shell]],
          "alice: %r" % got["alice"])
    # carol: supplementary group ops; dave: primary group admins
    check(got["carol"][2][5] == shell, "carol: %r" % got["carol"])
    check(got["dave"][2][5] == shell, "dave: %r" % got["dave"])
    # Not selected, or unknown: "not found", the other sources answer
    check(got["bob"][0] == 0 and got["nobody-here"][0] == 0,
          "bob/unknown: %r %r" % (got["bob"], got["nobody-here"]))
    check(got["2001"][2][0] == "alice" and got["2001"][2][5] == shell,
          "by uid: %r" % got["2001"])
    check(got["2002"][0] == 0, "uid 2002: %r" % got["2002"])
    # A buffer too small: try again with a bigger one (ERANGE)
    small = nss(env, ["alice"], size=16)
    check(small["alice"][0] == -2 and small["alice"][1] == 34,
          "small buffer: %r" % small["alice"])
    # The module's own lookup went through NSS (nss_wrapper's files)
    check(shell_of(env, "bob") == "/bin/zsh", "getpwnam(bob) shell")


@case("nss: a bad policy records everyone, and says why in syslog")
def nss_failsafe():
    d, env = setup("[session_recording]\nscope = sometimes\n", "bad")
    got = nss(env, ["bob"])
    check(got["bob"][2] is not None and
          got["bob"][2][5] == tlog_rec_session(), "bob: %r" % got["bob"])
    p = subprocess.run([POLICY, "bob"], env=env, capture_output=True,
                       text=True)
    check(p.returncode == 0 and "scope \"sometimes\"" in p.stdout and
          "line 2" in p.stdout, "tlog-policy: %r" % p.stdout)


@case("nss: a user's process, which may not read the policy, is left alone")
def nss_unprivileged():
    d, env = setup("[session_recording]\nscope = some\nusers = alice\n",
                   "unpriv")
    os.chmod(d, 0o755)
    got = nss(env, ["alice", "bob"], nobody=True)
    # Not the fail-safe "everyone": the other sources answer
    check(got["alice"] == [0, 0, None] and got["bob"] == [0, 0, None],
          "as nobody: %r" % got)
    check(nss(env, ["alice"])["alice"][2][5] == tlog_rec_session(),
          "as root alice is not selected")
    p = subprocess.run([POLICY, "alice"], env=env, capture_output=True,
                       text=True, timeout=30, preexec_fn=as_nobody)
    check(p.returncode == 2 and "only root may read" in p.stderr and
          "Permission denied" in p.stderr and p.stdout == "",
          "tlog-policy as nobody: %d %r" % (p.returncode, p.stderr))


@case("tlog-policy: every scope, groups, excludes, conf.d, and why")
def policy_tool():
    d, env = setup("[session_recording]\nscope = all\n"
                   "exclude_users = bob\nexclude_groups = ops\n", "tool")

    def ask(*users):
        p = subprocess.run([POLICY] + list(users), env=env,
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr
    rc, out, _ = ask("alice", "bob", "carol", "dave")
    lines = out.splitlines()
    check(rc == 1, "status %d" % rc)
    check(lines[0] == "alice: recorded: scope = all", lines[0])
    check("bob is in exclude_users" in lines[1], lines[1])
    check("member of ops, in exclude_groups" in lines[2], lines[2])
    check(lines[3].startswith("dave: recorded"), lines[3])
    # A later file in conf.d changes the scope
    conf = os.path.join(d, "conf.d", "50-some.conf")
    with open(conf, "w") as f:
        f.write("[session_recording]\nscope = some\ngroups = admins\n")
    os.chmod(conf, 0o600)
    rc, out, _ = ask("dave", "alice")
    check("dave: recorded: scope = some, member of admins" in out and
          "alice: not recorded" in out, out)
    rc, out, err = ask("nobody-here")
    check(rc == 2 and "no such user" in err, "unknown user: %r" % err)
    p = subprocess.run([POLICY, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "session_recording" in p.stdout, "--help")


def tlog_policy(env, *users, prefix=()):
    p = subprocess.run(list(prefix) + [POLICY] + list(users), env=env,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def glibc_files(d, env, passwd, group):
    """Run with glibc's own files source instead of nss_wrapper: the
    machine's /etc/passwd and /etc/group plus these lines, bound over
    the real ones in a private mount namespace.  Returns the command
    prefix and the environment."""
    for name, text in (("passwd", passwd), ("group", group)):
        ours = {ln.split(":")[0] for ln in text.splitlines()}
        with open("/etc/" + name) as f:
            lines = [ln for ln in f.read().splitlines()
                     if ln.split(":")[0] not in ours]
        with open(os.path.join(d, "etc-" + name), "w") as f:
            f.write("\n".join(lines) + "\n" + text)
    prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
              'mount --bind "$1" /etc/passwd; mount --bind "$2" /etc/group;'
              ' shift 2; exec "$@"', "sh", os.path.join(d, "etc-passwd"),
              os.path.join(d, "etc-group")]
    env = dict(env)
    del env["LD_PRELOAD"]
    return prefix, env


def members(n, *extra):
    """A member list of n made-up names and extra: 6 bytes a name"""
    return ",".join(["m%05d" % i for i in range(n)] + list(extra))


# nss_wrapper reports a group that does not exist as ENOENT, which glibc
# returns only when a source of the group database failed: every group
# the policies below name exists


@case("groups: a member of a group after a 40 KB group line is recorded")
def group_after_long_line():
    group = GROUP.replace("ops:", "big:x:4000:%s\nops:" % members(6800))
    d, env = setup("[session_recording]\nscope = some\ngroups = ops\n",
                   "after-long", group=group)
    # nss_wrapper holds the whole file in memory; glibc's files source
    # parses every line before the one it wants into the caller's buffer
    for how, prefix, e in (("nss_wrapper", (), env),
                           ("glibc",) + glibc_files(d, env, PASSWD, group)):
        rc, out, err = tlog_policy(e, "carol", "bob", prefix=prefix)
        check(rc == 1 and
              "carol: recorded: scope = some, member of ops" in out and
              "bob: not recorded" in out,
              "%s tlog-policy: %r %r" % (how, out, err))
        got = nss(e, ["carol", "bob"], prefix=prefix)
        check(got["carol"][2] is not None and
              got["carol"][2][5] == tlog_rec_session() and
              got["bob"][0] == 0, "%s nss: %r" % (how, got))


@case("groups: a policy group with a 40 KB line still finds its members")
def group_long_line():
    group = GROUP + "huge:x:4001:%s\n" % members(6800, "carol")
    _, env = setup("[session_recording]\nscope = some\ngroups = huge\n",
                   "long", group=group)
    rc, out, err = tlog_policy(env, "carol", "bob")
    check(rc == 1 and "carol: recorded: scope = some, member of huge" in out
          and "bob: not recorded" in out, "tlog-policy: %r %r" % (out, err))
    got = nss(env, ["carol", "bob"])
    check(got["carol"][2] is not None and
          got["carol"][2][5] == tlog_rec_session() and got["bob"][0] == 0,
          "nss: %r" % got)
    # And excludes them
    _, env = setup("[session_recording]\nscope = all\n"
                   "exclude_groups = huge\n", "long-all", group=group)
    rc, out, err = tlog_policy(env, "carol", "bob")
    check("carol: not recorded: scope = all, but member of huge" in out and
          "bob: recorded" in out, "exclude: %r %r" % (out, err))


@case("groups: a group lookup that fails records, and says why")
def group_lookup_fails():
    # A directory for a group file: every group lookup fails (EISDIR)
    for policy, name in (("scope = some\ngroups = ops", "fail-some"),
                         ("scope = all\nexclude_groups = ops", "fail-all")):
        d, env = setup("[session_recording]\n%s\n" % policy, name)
        os.rename(os.path.join(d, "group"), os.path.join(d, "group.txt"))
        os.makedirs(os.path.join(d, "group"))
        rc, out, err = tlog_policy(env, "carol", "bob")
        lines = out.splitlines()
        check(rc == 0 and len(lines) == 2, "%s: %d %r" % (name, rc, out))
        # (EISDIR on the first lookup, nss_wrapper's ENOENT after it)
        for line in lines:
            check(": recorded:" in line and "looking up group ops" in line,
                  "%s: %r" % (name, line))
        got = nss(env, ["carol", "bob"])
        check(all(got[u][2] is not None and
                  got[u][2][5] == tlog_rec_session() for u in got),
              "%s nss: %r" % (name, got))


@case("nss: a passwd entry over 16 KB is still answered")
def nss_long_entry():
    passwd = PASSWD + "erin:x:2005:2005:%s:/home/erin:/bin/sh\n" % (
        "E" * 40000)
    _, env = setup("[session_recording]\nscope = some\nusers = erin\n",
                   "long-pw", passwd=passwd)
    got = nss(env, ["erin", "2005"], size=1 << 17)
    for key in ("erin", "2005"):
        check(got[key][0] == 1 and got[key][2][0] == "erin" and
              len(got[key][2][3]) == 40000 and
              got[key][2][5] == tlog_rec_session(), "%s: %r" % (
                  key, got[key][:2]))


PAM_PROBE = textwrap.dedent("""
    import ctypes, sys
    # Look the functions up in the global scope, where pam_wrapper's
    # stand in front of libpam's
    ctypes.CDLL("libpam.so.0", mode=ctypes.RTLD_GLOBAL)
    pam = ctypes.CDLL(None)
    CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                            ctypes.c_void_p, ctypes.c_void_p)
    class Conv(ctypes.Structure):
        _fields_ = [("conv", CONV), ("appdata", ctypes.c_void_p)]
    conv = Conv(CONV(lambda n, m, r, d: 19), None)
    h = ctypes.c_void_p()
    rc = pam.pam_start(b"tlogtest", sys.argv[1].encode(),
                                   ctypes.byref(conv), ctypes.byref(h))
    assert rc == 0, rc
    rc = pam.pam_open_session(h, 0)
    pam.pam_getenv.restype = ctypes.c_char_p
    v = pam.pam_getenv(h, b"TLOG_REC_SESSION_SHELL")
    print(rc, v.decode() if v else "-")
    pam.pam_end(h, 0)
""")


def pam_probe(env, svc, args, user):
    """pam_open_session for user with pam_tlog args: its "rc shell" """
    with open(os.path.join(svc, "tlogtest"), "w") as f:
        # pam_permit: a stack of modules that all ignore fails
        f.write("session required %s %s\nsession required pam_permit.so\n"
                % (PAM_SO, args))
    p = subprocess.run([sys.executable, "-c", PAM_PROBE, user], env=env,
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "%s: %r" % (user, p.stderr[-300:]))
    return p.stdout.strip()


@case("pam: the real shell in TLOG_REC_SESSION_SHELL for selected users; "
      "no agent, no session")
def pam_env():
    d, env = setup("[session_recording]\nscope = some\nusers = alice\n"
                   "groups = ops\n", "pam")
    svc = os.path.join(d, "pam.d")
    os.makedirs(svc)
    env.update(LD_PRELOAD=PAM_WRAPPER + ":" + NSS_WRAPPER, PAM_WRAPPER="1",
               PAM_WRAPPER_SERVICE_DIR=svc)
    with Agent("pam-agent") as a:
        for user, want in (("alice", "0 /bin/bash"), ("carol", "0 /bin/sh"),
                           ("bob", "0 -")):
            got = pam_probe(env, svc, "socket=" + a.sock, user)
            check(got == want, "%s: %r" % (user, got))
    # PAM_SESSION_ERR (14) without the agent, unless told to go on
    missing = "socket=" + os.path.join(d, "no-agent.sock")
    got = pam_probe(env, svc, missing, "alice")
    check(got.startswith("14 "), "no agent, yet: %r" % got)
    got = pam_probe(env, svc, missing + " unreachable=allow", "alice")
    check(got == "0 /bin/bash", "unreachable=allow: %r" % got)
    check(pam_probe(env, svc, missing, "bob") == "0 -",
          "a user not recorded needs no agent")


@case("modules export only their entry points")
def exports():
    for so, want in ((NSS_SO, {"_nss_tlog_getpwnam_r",
                               "_nss_tlog_getpwuid_r"}),
                     (PAM_SO, {"pam_sm_open_session",
                               "pam_sm_close_session"})):
        p = subprocess.run(["nm", "-D", "--defined-only", so],
                           capture_output=True, text=True)
        got = {line.split()[-1] for line in p.stdout.splitlines()
               if line.split()[1] in "TDBR"}
        check(got == want, "%s exports %r" % (os.path.basename(so), got))


def main():
    skip_unless_root("the agent, mount namespaces")
    for lib in (NSS_WRAPPER, PAM_WRAPPER):
        if not os.path.exists(lib):
            print("FAIL setup: %s missing (run tools/install-deps)" % lib)
            return 1
    return run_cases("policy", sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
