"""A user's terminal for tests: a program under a new pseudo-terminal.

Term(argv) starts argv with a new PTY as its controlling terminal; the
test types with send(), changes the window with resize(), and every byte
the program shows is kept in .screen, exactly as received.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time


class Term:
    def __init__(self, argv, cols=80, rows=24, env=None, user=None):
        self.screen = b""
        self.status = None
        pid, fd = pty.fork()
        if pid == 0:
            try:
                # the size before the program starts: set from the parent
                # only, a program that reads it at once could find 0x0
                fcntl.ioctl(0, termios.TIOCSWINSZ,
                            struct.pack("HHHH", rows, cols, 0, 0))
                if user is not None:
                    import pwd
                    pw = pwd.getpwnam(user)
                    # the user's login terminal is the user's, as a
                    # login program makes it
                    os.fchown(0, pw.pw_uid, -1)
                    os.initgroups(user, pw.pw_gid)
                    os.setgid(pw.pw_gid)
                    os.setuid(pw.pw_uid)
                    os.chdir("/tmp")
                os.execvpe(argv[0], argv, env if env is not None
                           else os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.resize(cols, rows)

    def resize(self, cols, rows):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, data):
        os.write(self.fd, data)

    def pump(self, seconds):
        """Read what the program shows for the given time."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    time.sleep(min(left, 0.05))
                    continue
                self.screen += data

    def wait_for(self, text, timeout=10):
        """Read until text appears on the screen; False on timeout."""
        end = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > end or self.status is not None:
                return text in self.screen
            self.pump(0.05)
            self.poll()
        return True

    def poll(self):
        if self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = os.waitstatus_to_exitcode(st)
        return self.status

    def finish(self, timeout=20):
        """Read until the program exits; return its exit status."""
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > end:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                self.status = "timeout"
                break
            self.pump(0.05)
        self.pump(0.1)
        return self.status

    def termios(self):
        """The terminal's settings, as the program left them."""
        return termios.tcgetattr(self.fd)

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass
