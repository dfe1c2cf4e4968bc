"""Lock a forked child down before it runs student code (Linux, no Docker needed).

The batch grader forks one child per (submission, exercise) from a parent that
has already imported torch and pytest. Before any student code runs, the child
(trusted code) enters, in this order and as far as the machine allows:

1. its own memory and pids cgroups (v1: created under the parent's own groups);
2. new mount, network, PID, IPC and UTS namespaces: no network interface is up,
   the kit (``reference/``, hidden tests), the submissions folder, the output
   folder and ``/tmp`` are covered by empty tmpfs mounts, ``/proc`` is remounted;
3. a private tmpfs work folder holding copies of the student's modules and the
   tests of this one exercise;
4. rlimits (CPU, file size, open files, no core dumps; address space only when
   no memory cgroup exists, and generous: the CUDA build of torch maps ~3.6 GB),
   a dedicated non-root uid per parallel slot, ``no_new_privs``.

What was achieved is probed once at start (:func:`detect`) and printed.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
CGROUP_ROOT = Path("/sys/fs/cgroup")
SANDBOX_UID_BASE = 64000
"""Slot k runs as uid/gid 64000 + k: no files on the machine belong to them."""

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Limits:
    test_seconds: float = 60.0
    """Per test (pytest-timeout's signal method; the wall limit below is the backstop)."""
    wall_seconds: float = 300.0
    """Per exercise run: the parent SIGKILLs the whole sandbox after this."""
    cpu_seconds: int = 300
    memory_bytes: int = 3 << 30
    processes: int = 64
    """Tasks (processes and threads) in the pids cgroup / RLIMIT_NPROC of the slot's uid."""
    file_bytes: int = 64 << 20
    """Largest file the student's code may write (RLIMIT_FSIZE)."""
    open_files: int = 256
    tmpfs_bytes: int = 256 << 20
    """Size of the private work folder and of the private /tmp."""


@dataclass
class Protections:
    """What this machine lets the sandbox do; filled in by :func:`detect`."""

    root: bool = False
    uid_drop: bool = False
    namespaces: list[str] = field(default_factory=list)
    hide_paths: bool = False
    memory_cgroup: bool = False
    pids_cgroup: bool = False
    no_new_privs: bool = False
    rlimits: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = []
        parts.append("uid non-root par slot" if self.uid_drop else "MÊME uid que le correcteur")
        if self.namespaces:
            parts.append("espaces de noms " + "/".join(self.namespaces))
        if "net" in self.namespaces:
            parts.append("aucun réseau")
        if self.hide_paths:
            parts.append("kit, reference/, tests cachés, autres copies et /tmp masqués")
        if self.memory_cgroup:
            parts.append("cgroup mémoire")
        if self.pids_cgroup:
            parts.append("cgroup pids")
        if self.no_new_privs:
            parts.append("no_new_privs")
        if self.rlimits:
            parts.append("rlimits " + ",".join(self.rlimits))
        text = "protections actives : " + " ; ".join(parts)
        if self.problems:
            text += "\nindisponibles : " + " ; ".join(self.problems)
        return text


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(_libc.mount(source.encode(), target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), "prctl")


# --- cgroups (v1, as on these machines) -------------------------------------------------

def _own_cgroup(controller: str) -> Path | None:
    """The folder of this process's own cgroup for ``controller`` (v1), if writable."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = CGROUP_ROOT / controller / path.lstrip("/")
            return folder if folder.is_dir() and os.access(folder, os.W_OK) else None
    return None


class SlotCgroups:
    """The memory and pids cgroups of one parallel slot, reused run after run."""

    def __init__(self, slot: int, limits: Limits, protections: Protections) -> None:
        self.paths: list[Path] = []
        self._oom_before = 0
        tag = f"dlkit-{os.getpid()}-{slot}"
        settings = {"memory": {"memory.limit_in_bytes": str(limits.memory_bytes),
                               "memory.swappiness": "0"},
                    "pids": {"pids.max": str(limits.processes)}}
        for controller, values in settings.items():
            if not getattr(protections, f"{controller}_cgroup"):
                continue
            base = _own_cgroup(controller)
            if base is None:
                continue
            path = base / tag
            try:
                path.mkdir(exist_ok=True)
                for name, value in values.items():
                    try:
                        (path / name).write_text(value)
                    except OSError:
                        if name != "memory.swappiness":
                            raise
                self.paths.append(path)
            except OSError:
                continue

    def join(self, pid: int) -> None:
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths:
            try:
                found |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill_all(self) -> None:
        """SIGKILL every task left in the slot's groups (a daemon, a setsid grandchild)."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.sched_yield()

    def _oom_kills(self) -> int:
        """The memory group's OOM-kill counter (v1 ``memory.oom_control``)."""
        for path in self.paths:
            if path.relative_to(CGROUP_ROOT).parts[0] != "memory":
                continue
            try:
                for line in (path / "memory.oom_control").read_text().splitlines():
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
            except (OSError, ValueError):
                pass
        return 0

    def memory_exhausted(self) -> bool:
        """Did the kernel's OOM killer act in this group since :meth:`reset`?"""
        return self._oom_kills() > self._oom_before

    def reset(self) -> None:
        self._oom_before = self._oom_kills()

    def remove(self) -> None:
        self.kill_all()
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass


# --- the lockdown, run in the forked child ---------------------------------------------

def enter_namespaces(protections: Protections, hide: list[Path], work: Path,
                     limits: Limits) -> None:
    """New namespaces, hidden paths, a private /tmp and work folder (child, still root)."""
    flags = 0
    for name, flag in (("mount", CLONE_NEWNS), ("net", CLONE_NEWNET), ("pid", CLONE_NEWPID),
                       ("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS)):
        if name in protections.namespaces:
            flags |= flag
    if flags:
        unshare(flags)
    if not protections.hide_paths:
        work.mkdir(parents=True, exist_ok=True)
        return
    mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    expose_runtime()
    for path in hide:
        if path.is_dir():
            mount("tmpfs", str(path), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=64k,mode=0755")
    for tmp in ("/tmp", "/dev/shm", "/var/tmp"):
        if Path(tmp).is_dir():
            mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV,
                  f"size={limits.tmpfs_bytes},mode=1777")
    work.mkdir(parents=True, exist_ok=True)


def _closed_ancestor(path: Path) -> Path | None:
    """The highest folder above ``path`` that other users cannot enter (e.g. /root)."""
    for parent in [*reversed(path.parents), path]:
        if not os.stat(parent).st_mode & 0o001:
            return parent
    return None


def expose_runtime() -> None:
    """Keep Python and its packages readable after the uid drop, even when they live under
    a closed folder such as /root (pyenv): cover that folder with an empty tmpfs and
    bind-mount the installation back at the same path."""
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    keep = []
    for prefix in sorted(prefixes):
        closed = _closed_ancestor(prefix)
        if closed is not None and closed != prefix:
            keep.append((os.open(prefix, os.O_PATH), prefix, closed))
    for closed in sorted({c for _, _, c in keep}):
        mount("tmpfs", str(closed), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    for fd, prefix, _ in keep:
        prefix.mkdir(parents=True, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", str(prefix), None, MS_BIND | MS_REC, None)
        os.close(fd)


def mount_proc() -> None:
    """In the new PID namespace, /proc shows only the sandbox's own processes."""
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    except OSError:
        pass


def drop_privileges(protections: Protections, limits: Limits, slot: int) -> None:
    """rlimits, then the slot's uid, then no_new_privs (the runner, just before pytest)."""
    rl = [(resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_FSIZE, limits.file_bytes),
          (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CORE, 0)]
    if protections.uid_drop:
        rl.append((resource.RLIMIT_NPROC, limits.processes))
    if not protections.memory_cgroup:
        rl.append((resource.RLIMIT_AS, max(limits.memory_bytes, 8 << 30)))
    for which, value in rl:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
    # A write past RLIMIT_FSIZE then fails with EFBIG instead of killing the run.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if protections.uid_drop:
        uid = SANDBOX_UID_BASE + slot
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if protections.no_new_privs:
        prctl(PR_SET_NO_NEW_PRIVS, 1)


def detect(limits: Limits) -> Protections:
    """Probe, in a throwaway child, which protections this machine allows."""
    prot = Protections(root=os.geteuid() == 0)
    prot.memory_cgroup = _own_cgroup("memory") is not None
    prot.pids_cgroup = _own_cgroup("pids") is not None
    if not prot.memory_cgroup:
        prot.problems.append("cgroup mémoire (RLIMIT_AS à la place)")
    if not prot.pids_cgroup:
        prot.problems.append("cgroup pids")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the probe child
        os.close(r)
        ok = []
        for name, flag in (("mount", CLONE_NEWNS), ("net", CLONE_NEWNET), ("pid", CLONE_NEWPID),
                           ("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS)):
            try:
                unshare(flag)
                ok.append(name)
            except OSError:
                pass
        if "mount" in ok:
            try:
                mount("none", "/", None, MS_REC | MS_PRIVATE, None)
                mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k")
                ok.append("hide")
            except OSError:
                pass
        try:
            prctl(PR_SET_NO_NEW_PRIVS, 1)
            ok.append("nnp")
        except OSError:
            pass
        if os.geteuid() == 0:
            try:
                os.setgid(SANDBOX_UID_BASE)
                os.setuid(SANDBOX_UID_BASE)
                ok.append("uid")
            except OSError:
                pass
        os.write(w, ",".join(ok).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        got = f.read().split(",")
    os.waitpid(pid, 0)
    prot.namespaces = [n for n in ("mount", "net", "pid", "ipc", "uts") if n in got]
    prot.hide_paths = "hide" in got
    prot.no_new_privs = "nnp" in got
    prot.uid_drop = "uid" in got
    prot.rlimits = ["CPU", "FSIZE", "NOFILE", "CORE"] + (["NPROC"] if prot.uid_drop else []) \
        + ([] if prot.memory_cgroup else ["AS"])
    for name in ("mount", "net", "pid"):
        if name not in prot.namespaces:
            prot.problems.append(f"espace de noms {name}")
    if not prot.uid_drop:
        prot.problems.append("changement d'uid (pas root)")
    return prot
