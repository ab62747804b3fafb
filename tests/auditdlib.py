"""A private auditd for tests and benchmarks: `auditd -n` on its own
configuration, log and plugin directory, with at most one plugin (a
shell script), stopped and its rules removed after.
"""
import os
import re
import subprocess
import time

CONF = """local_events = yes
write_logs = yes
log_file = {dir}/audit.log
log_format = ENRICHED
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 1000
num_logs = 2
max_log_file_action = IGNORE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
q_depth = 2000
overflow_action = SYSLOG
plugin_dir = {dir}/plugins.d
end_of_event_timeout = 2
"""


def audit_pid():
    """The pid of the audit daemon the kernel talks to, 0 if none"""
    p = subprocess.run(["auditctl", "-s"], capture_output=True, text=True)
    m = re.search(r"^pid (\d+)", p.stdout, re.M)
    return int(m.group(1)) if m else 0


class Auditd:
    """auditd in directory d (created), with plugin_script as its plugin
    if given; start() with auditctl rules, stop() after."""

    def __init__(self, d, plugin_script=None):
        self.dir = d
        os.makedirs(os.path.join(d, "plugins.d"))
        with open(os.path.join(d, "auditd.conf"), "w") as f:
            f.write(CONF.format(dir=d))
        os.chmod(os.path.join(d, "auditd.conf"), 0o640)
        if plugin_script is not None:
            wrapper = os.path.join(d, "plugin.sh")
            with open(wrapper, "w") as f:
                f.write("#!/bin/sh\n" + plugin_script)
            os.chmod(wrapper, 0o755)
            conf = os.path.join(d, "plugins.d", "plugin.conf")
            with open(conf, "w") as f:
                f.write("active = yes\ndirection = out\npath = %s\n"
                        "type = always\nformat = string\n" % wrapper)
            os.chmod(conf, 0o640)
        self.proc = None

    def start(self, rules=()):
        self.proc = subprocess.Popen(["auditd", "-n", "-c", self.dir],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while audit_pid() != self.proc.pid:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("auditd did not start")
            time.sleep(0.1)
        subprocess.run(["auditctl", "-D"], capture_output=True)
        for r in rules:
            self.rule(*r)
        return self

    def rule(self, *args):
        subprocess.run(["auditctl"] + list(args), check=True,
                       capture_output=True)

    def stop(self):
        subprocess.run(["auditctl", "-D"], capture_output=True)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        subprocess.run(["auditctl", "-e", "0"], capture_output=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
