"""Re-running a test script in a private mount namespace, where it may
bind its own files over the machine's: every mount goes away with it.
Imported before anything that makes files (progtest makes its temporary
directory at import), since the first run only re-executes."""
import os
import sys


def reexec_in_namespace(mark, path):
    """Run the script at path again under unshare, once: the environment
    variable mark says that this run is the one inside."""
    if os.environ.get(mark) == "1":
        return
    if os.getuid() != 0:
        print("FAIL setup: run as root (mounts, daemons, users)")
        sys.exit(1)
    os.environ[mark] = "1"
    argv = ["unshare", "--mount", "--propagation", "private",
            sys.executable, os.path.abspath(path)] + sys.argv[1:]
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        print("FAIL setup: cannot run unshare: %s" % e)
        sys.exit(1)
