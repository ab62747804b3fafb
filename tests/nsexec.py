"""Re-running a test script in a private mount namespace, where it may
bind its own files over the machine's: every mount goes away with it.
Imported before anything that makes files (progtest makes its temporary
directory at import), since the first run only re-executes."""
import os
import sys

# automake's test driver counts a test that exits with this as skipped
SKIP = 77


def skip_unless_root(what):
    """Leave the test as skipped, saying why, unless it runs as root"""
    if os.geteuid() != 0:
        print("SKIP: needs root (%s)" % what)
        sys.exit(SKIP)


def reexec_in_namespace(mark, path):
    """Run the script at path again under unshare, once: the environment
    variable mark says that this run is the one inside."""
    if os.environ.get(mark) == "1":
        return
    skip_unless_root("mounts, daemons, users")
    os.environ[mark] = "1"
    argv = ["unshare", "--mount", "--propagation", "private",
            sys.executable, os.path.abspath(path)] + sys.argv[1:]
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        print("FAIL setup: cannot run unshare: %s" % e)
        sys.exit(1)
