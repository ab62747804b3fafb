"""A systemd-journald of the test's own, and messages sent to it as
another user.

Only for a test running in a private mount namespace (see nsexec.py):
the first start() mounts empty file systems over /run and /var/log
there, so the journal's sockets and files belong to the test, whether
or not the machine runs a journal, and vanish with the namespace.
"""
import json
import os
import signal
import subprocess
import time

from progtest import check

JOURNALD = "/lib/systemd/systemd-journald"
SOCKET = "/run/systemd/journal/socket"


def private_namespace():
    """Whether this process has a mount namespace of its own: another
    than init's, or where init's cannot be read, than its parent's (the
    one that ran unshare)"""
    mine = os.readlink("/proc/self/ns/mnt")
    for pid in (1, os.getppid()):
        try:
            return mine != os.readlink("/proc/%d/ns/mnt" % pid)
        except OSError:
            continue
    return False


class PrivateJournald:
    """systemd-journald on the namespace's own /run and /var/log"""

    def __init__(self):
        self.proc = None
        self.mounted = False

    def start(self):
        if self.proc is not None:
            return
        if not self.mounted:
            check(private_namespace(), "not in a private mount namespace: "
                  "the journal would be the machine's")
            for where in ("/run", "/var/log"):
                subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755",
                                "tlog-test", where], check=True)
            self.mounted = True
        self.proc = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while not os.path.exists(SOCKET):
            check(time.monotonic() < end and self.proc.poll() is None,
                  "systemd-journald did not start")
            time.sleep(0.05)

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)
        self.proc = None

    def running(self):
        return self.proc is not None

    def entries(self, match, count=1, timeout=10):
        """The entries matching (FIELD=VALUE), once there are count"""
        end = time.monotonic() + timeout
        while True:
            p = subprocess.run(["journalctl", "-o", "json", "--no-pager",
                                match], capture_output=True, text=True)
            got = [json.loads(ln) for ln in p.stdout.splitlines() if ln]
            if len(got) >= count or time.monotonic() > end:
                return got
            time.sleep(0.1)


def journal_send_as(user, fields):
    """Send one entry with fields (name: value) to the journal as user,
    in the journal's native protocol (what sd_journal_send() writes), by
    util-linux logger --journald."""
    text = "".join("%s=%s\n" % (k, v) for k, v in fields.items())
    check(all("\n" not in str(v) for v in fields.values()),
          "a value with a new line needs the binary form")
    p = subprocess.run(["runuser", "-u", user, "--", "logger",
                        "--journald"], input=text.encode(),
                       capture_output=True, timeout=30)
    check(p.returncode == 0, "logger --journald as %s: %r" % (user, p.stderr))


def systemd_cat_as(user, ident, text):
    """Write text to the journal through systemd-cat, as user"""
    p = subprocess.run(["runuser", "-u", user, "--", "systemd-cat", "-t",
                        ident], input=text.encode(), capture_output=True,
                       timeout=30)
    check(p.returncode == 0, "systemd-cat as %s: %r" % (user, p.stderr))
