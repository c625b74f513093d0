"""The guard every build runs under (see runner.py): a tiny `python -I -S -c` program that
leads the build's process group, dies with the worker (parent-death signal), drops root to
the build user, sets the limits in the child it forks, execs the command there and passes
its exit status back.

argv: worker pid, address space, CPU seconds, open files, file size, build uid (-1: keep),
then the command. The process-count limit is set inside the sandbox instead
(see runner.NPROC_INSIDE): set here, it would count every process of the user.
"""

GUARD = """\
import ctypes, os, resource, signal, sys
a = sys.argv
prctl = ctypes.CDLL(None).prctl
def end_group(*_):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, end_group)
prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(a[1]):  # the worker died before the line above
    end_group()
guard = os.getpid()
pid = os.fork()
if pid == 0:
    prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != guard:
        os._exit(137)
    uid = int(a[6])
    if uid >= 0:  # a root worker builds as an unprivileged user
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        prctl(1, signal.SIGKILL, 0, 0, 0)  # setuid cleared the parent-death signal
        if os.getppid() != guard:
            os._exit(137)
    for r, v in ((resource.RLIMIT_AS, a[2]), (resource.RLIMIT_NOFILE, a[4]),
                 (resource.RLIMIT_FSIZE, a[5])):
        resource.setrlimit(r, (int(v), int(v)))
    # Python ignores these; the build must not inherit that (a file too big must stop it).
    for s in (signal.SIGXFSZ, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    # SIGXCPU at the limit (the report can say why), SIGKILL a little later if ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (int(a[3]), int(a[3]) + 5))
    try:
        os.execvp(a[7], a[7:])
    except OSError as exc:
        os.write(2, f"{a[7]}: {exc.strerror}\\n".encode())
        os._exit(127)
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
if code < 0:  # die of the same signal, so the runner sees what the command saw
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        signal.signal(-code, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    os.kill(guard, -code)
    code = 128 - code  # still here: the signal's default is to ignore it
os._exit(code)
"""
