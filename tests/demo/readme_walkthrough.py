#!/usr/bin/python3
"""The README's demo, typed the way a person types it (ctest: demo.readme).

Runs `tools/demo` in a pseudo-terminal from the repository's root, exactly as the README
says, and types the README's walkthrough: Ctrl-a h, Ctrl-a Ctrl-a, Ctrl-a c, object_add,
device_add, info memory-devices, Ctrl-a c, free -m in the guest; then, from a second
terminal, build/plugctl against build/demo-qmp.sock ('info memory-devices', --events,
'device_del dimm1'); then poweroff in the guest. A second run quits with Ctrl-a x. After
each run: exit status 0, the terminal back in cooked mode, no process, socket or run
directory left behind.

On these machines /dev/kvm is kvm_pvm, so tools/demo runs plugvm in the nested test bed;
on a real-KVM host it runs plugvm directly, and the same test checks that path.

    tests/demo/readme_walkthrough.py [--repo DIR] [--transcript FILE] [--only walkthrough|quit]
"""
import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time

import pexpect

PROMPT = "/ # "          # the default guest's busybox shell
MONITOR = "(plugvm) "    # the HMP prompt on the multiplexed console
CTRL_A = "\x01"
BUILD_TIMEOUT = 1500     # a fresh clone downloads two kernels and builds two images
GUEST_TIMEOUT = 300      # L1 boot under TCG plus the guest's boot on nested KVM


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Demo:
    """tools/demo in a pseudo-terminal, followed by `stty -a` as the user's shell would."""

    def stop(self):
        """After a failure: ends the demo and everything it started (its process group,
        as closing the terminal would), so that no L1 outlives the test."""
        if not self.child.isalive():
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.child.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.time() + 10
            while self.child.isalive() and time.time() < deadline:
                time.sleep(0.2)
            if not self.child.isalive():
                return

    def __init__(self, repo, transcript):
        self.repo = repo
        env = dict(os.environ, TERM="vt100")
        # The shell reports the demo's status and the terminal's mode after it ends.
        script = 'tools/demo; rc=$?; stty -a; echo "DEMO-EXIT=$rc"'
        self.child = pexpect.spawn("/bin/bash", ["-c", script], cwd=repo, env=env,
                                   encoding="utf-8", codec_errors="replace",
                                   dimensions=(50, 200), timeout=60)
        self.child.logfile_read = transcript

    def expect(self, pattern, timeout=60, what=None):
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise Failure("%s: did not see %r within %d s (%s)" %
                          (what or "demo", pattern, timeout, type(e).__name__))
        return self.child.match

    def type(self, text):
        """Types a line and Enter (a carriage return, as a terminal sends)."""
        self.child.send(text + "\r")

    def guest(self, command, timeout=60):
        """Runs a guest shell command; returns what the terminal showed up to the next
        prompt (the echo, the output, and any kernel message the guest's console printed
        meanwhile: the default guest is not booted with quiet)."""
        self.type(command)
        self.expect(re.escape(PROMPT), timeout, "the guest's prompt after " + command)
        return self.child.before

    def monitor(self, command, timeout=60):
        """Runs a monitor command; returns its text, failing on an error message."""
        self.type(command)
        self.expect(re.escape(MONITOR), timeout, "the monitor's prompt after " + command)
        out = self.child.before
        check("Error" not in out and "unknown command" not in out,
              "monitor command %r failed: %s" % (command, out.strip()))
        return out

    def boot(self):
        m = self.expect(r"tools/demo: (.*nested test bed|/dev/kvm is real KVM)", 60,
                        "the demo saying where plugvm runs")
        self.nested = "nested" in m.group(1)
        self.expect(r"tools/demo: \[1/3\]", 120, "the demo's first step")
        self.expect("plugvm-guest: ready", BUILD_TIMEOUT, "the guest's ready line")
        # A kernel message may land in the middle of a line of the banner.
        self.expect(r"(?s)plugvm-guest: try it:.*?Ctrl-a c, then object_add", 30,
                    "the guest's walkthrough banner")
        self.expect(re.escape(PROMPT), 60, "the guest's first prompt")

    def finish(self, timeout=240):
        """Waits for the demo's end; returns (its exit status, stty -a output)."""
        m = self.expect(r"DEMO-EXIT=(\d+)", timeout, "the demo's end")
        stty = self.child.before
        self.child.expect(pexpect.EOF, timeout=30)
        self.child.close()
        return int(m.group(1)), stty


def mem_total_mib(demo):
    out = demo.guest("free -m")
    m = re.search(r"Mem:\s+(\d+)", out)
    check(m, "free -m printed no Mem: line: %r" % out)
    return int(m.group(1))


def wait_mem_total(demo, pred, what, timeout=120):
    deadline = time.time() + timeout
    while True:
        total = mem_total_mib(demo)
        if pred(total):
            return total
        if time.time() > deadline:
            raise Failure("%s: free -m still says %d MiB after %d s" % (what, total, timeout))
        time.sleep(2)


def plugctl_path(repo):
    # The program by its full path (pexpect looks a relative one up in PATH, not in cwd);
    # the socket stays relative, as the README types it from the repository's root.
    return os.path.join(repo, "build/plugctl")


def plugctl(repo, *args, timeout=90):
    r = subprocess.run([plugctl_path(repo), "build/demo-qmp.sock", *args], cwd=repo,
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def demo_processes():
    """Processes the demo starts: L1's QEMU (plugvm.demo=1) and the host relay."""
    found = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "plugvm.demo=1" in cmd or "plugvm-relay listen" in cmd or \
           ("build/plugvm " in cmd and "demo-qmp.sock" in cmd):
            found.append("%s: %s" % (d[6:], cmd.strip()))
    return found


def check_clean_end(repo, status, stty, rundirs_before):
    check(status == 0, "tools/demo exited with status %d, expected 0" % status)
    check(re.search(r"(^|\s)icanon(\s|$)", stty) and re.search(r"(^|\s)echo(\s|$)", stty),
          "the terminal was not restored (stty -a: %s)" % stty.strip())
    deadline = time.time() + 10
    while demo_processes() and time.time() < deadline:
        time.sleep(0.5)
    left = demo_processes()
    check(not left, "processes left behind: %s" % left)
    check(not os.path.exists(os.path.join(repo, "build/demo-qmp.sock")),
          "build/demo-qmp.sock left behind")
    new_dirs = set(glob.glob("/tmp/plugvm-demo.*")) - rundirs_before
    check(not new_dirs, "run directories left behind: %s" % sorted(new_dirs))


def walkthrough(repo, transcript):
    rundirs = set(glob.glob("/tmp/plugvm-demo.*"))
    demo = Demo(repo, transcript)
    events = None
    try:
        demo.boot()
        base = mem_total_mib(demo)

        # Ctrl-a h: the escape help, from plugvm, not typed into the guest.
        demo.child.send(CTRL_A + "h")
        demo.expect(r"C-a c    switch between console and monitor", 30, "Ctrl-a h's help")
        # Ctrl-a Ctrl-a: one Ctrl-a reaches the guest (read stores it; od shows 01).
        demo.type("read x; printf %s \"$x\" | od -An -tx1")
        demo.child.send(CTRL_A + CTRL_A + "\r")
        demo.expect(r"\n ?01\s*\r*\n", 30, "the guest receiving one Ctrl-a")
        demo.expect(re.escape(PROMPT), 30, "the guest's prompt after read")

        # The walkthrough: the monitor on the console.
        demo.child.send(CTRL_A + "c")
        demo.expect(re.escape(MONITOR), 30, "the (plugvm) monitor after Ctrl-a c")
        demo.monitor("object_add memory-backend-ram,id=mem1,size=1G")
        demo.monitor("device_add pc-dimm,id=dimm1,memdev=mem1", 120)
        info = demo.monitor("info memory-devices")
        check('Memory device [dimm]: "dimm1"' in info and "size: 1073741824" in info
              and "memdev: /objects/mem1" in info,
              "info memory-devices does not show dimm1 with 1 GiB: %r" % info)
        demo.child.send(CTRL_A + "c")
        demo.type("")
        demo.expect(re.escape(PROMPT), 30, "the guest's prompt after Ctrl-a c")
        grown = wait_mem_total(demo, lambda t: t >= base + 1000,
                               "MemTotal +1 GiB after device_add")

        # A second terminal: plugctl on build/demo-qmp.sock.
        rc, out, err = plugctl(repo, "info memory-devices")
        check(rc == 0 and '"dimm1"' in out,
              "plugctl 'info memory-devices' (status %d): %r %r" % (rc, out, err))
        events = pexpect.spawn(plugctl_path(repo), ["build/demo-qmp.sock", "--events"],
                               cwd=repo, encoding="utf-8", timeout=60)
        events.logfile_read = transcript
        events.expect("waiting for events", timeout=60)
        rc, out, err = plugctl(repo, "device_del dimm1")
        check(rc == 0, "plugctl 'device_del dimm1' (status %d): %r %r" % (rc, out, err))
        events.expect(r'"event": "DEVICE_DELETED"[^\n]*"device": "dimm1"|'
                      r'"device": "dimm1"[^\n]*"event": "DEVICE_DELETED"', timeout=180)
        events.terminate(force=True)
        events = None
        shrunk = wait_mem_total(demo, lambda t: t < grown - 1000,
                                "MemTotal back after device_del")
        rc, out, err = plugctl(repo, "info memory-devices")
        check(rc == 0 and '"dimm1"' not in out,
              "dimm1 still listed after DEVICE_DELETED: %r" % out)

        demo.type("poweroff")
        if demo.nested:
            demo.expect(r"L1: plugvm exited with status 0", 240, "plugvm's end in L1")
        status, stty = demo.finish()
        check_clean_end(repo, status, stty, rundirs)
        print("walkthrough: MemTotal %d -> %d -> %d MiB, exit 0, nothing left behind" %
              (base, grown, shrunk), file=sys.stderr)
    finally:
        if events is not None:
            events.terminate(force=True)
        demo.stop()


def quit_with_ctrl_a_x(repo, transcript):
    rundirs = set(glob.glob("/tmp/plugvm-demo.*"))
    demo = Demo(repo, transcript)
    try:
        demo.boot()
        demo.child.send(CTRL_A + "x")
        demo.expect("plugvm: terminated", 30, "Ctrl-a x")
        status, stty = demo.finish()
        check_clean_end(repo, status, stty, rundirs)
        print("quit: Ctrl-a x ended the demo with 0, nothing left behind", file=sys.stderr)
    finally:
        demo.stop()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "../..")))
    ap.add_argument("--transcript", default=None)
    ap.add_argument("--only", choices=["walkthrough", "quit"])
    args = ap.parse_args()
    path = args.transcript or os.path.join(args.repo, "build/demo-test/transcript.log")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    failed = 0
    with open(path, "w") as transcript:
        for name, fn in (("walkthrough", walkthrough), ("quit", quit_with_ctrl_a_x)):
            if args.only and args.only != name:
                continue
            transcript.write("\n==== demo.readme: %s ====\n" % name)
            try:
                fn(args.repo, transcript)
                print("PASS %s" % name)
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
            transcript.flush()
    if failed:
        print("---- transcript (%s), last 150 lines ----" % path)
        with open(path, errors="replace") as f:
            print("".join(f.readlines()[-150:]))
    print("transcript: %s" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
