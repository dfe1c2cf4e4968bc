"""Lock a forked child down before it runs student code (Linux, no Docker, no root needed).

The batch grader forks one child per (submission, exercise) from a single-threaded
parent that has already imported torch and pytest. Before any student code runs, the
child (trusted code) enters, as far as the machine allows:

1. its own memory and pids cgroups (v1 under the parent's own groups, or v2 in a
   delegated subtree); stale ``dlkit-*`` groups of a killed run are removed at start;
2. new namespaces: as root mount/net/pid/ipc/uts; as an ordinary user the same inside
   a new **user** namespace (one per sandbox, the grader's uid mapped to root there);
3. a mount tree planned by :func:`plan_layout`: the kit checkout, the submissions,
   the output folder, homes, ``/run`` and ``/tmp`` covered by empty tmpfs; the Python
   runtime (interpreter, stdlib, every ``sys.path`` entry, the kit's own runtime
   package) bound back read-only *on top*, wherever it lives (a ``.venv`` inside the
   checkout, ``/tmp``, ``$HOME``, conda…); ``reference/``, hidden tests and mutants
   covered again above that; then the whole tree read-only except a private ``/tmp``;
4. rlimits (CPU, file size, open files, no core dumps, processes; address space sized
   above the parent's own mappings when no memory cgroup exists), a dedicated non-root
   uid per slot as root, every capability dropped (bounding set, securebits) as a
   user, ``no_new_privs``.

Mounts are applied shallowest first, so the deepest rule wins at every path: that is
what lets a runtime inside a hidden folder stay visible while secrets inside the
runtime's folder stay hidden. What was achieved is probed once at start
(:func:`detect`) and printed.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE = 1024, 2048, 4096, 16384, 1 << 18
MS_RELATIME = 1 << 21
ST_RELATIME = 4096
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 24, 28
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
SECURE_ALL_LOCKED = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
"""NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE, each locked: an execve
as (namespace) root gains no capability back."""
SYS_MOUNT_SETATTR = 442  # the same number on every architecture (syscalls 424+ are unified)
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
CGROUP_ROOT = Path("/sys/fs/cgroup")
SANDBOX_UID_BASE = 64000
"""As root, slot k runs as uid/gid 64000 + k: no files on the machine belong to them."""
WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")
"""Replaced by a private tmpfs in each sandbox and left writable."""
USERNS_HELP = ("les espaces de noms utilisateur non privilégiés sont désactivés : "
               "`sudo sysctl -w kernel.unprivileged_userns_clone=1` (Debian), "
               "`sudo sysctl -w user.max_user_namespaces=15000`, ou sous Ubuntu ≥ 23.10 "
               "`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` ; "
               "ou lancer la correction en root")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


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

    mode: str = "none"
    """``root`` (uid drop), ``userns`` (an ordinary user in a user namespace), or ``none``
    (``--unsafe-no-sandbox``, or the meta-tests running the kit's own code)."""
    root: bool = False
    uid_drop: bool = False
    namespaces: list[str] = field(default_factory=list)
    hide_paths: bool = False
    readonly: bool = False
    """The whole mount tree read-only but the private /tmp (mount_setattr)."""
    caps_dropped: bool = False
    memory_cgroup: bool = False
    pids_cgroup: bool = False
    no_new_privs: bool = False
    rlimits: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def sandboxed(self) -> bool:
        return self.mode in ("root", "userns")

    def describe(self) -> str:
        if not self.sandboxed:
            return ("ATTENTION : AUCUN BAC À SABLE (--unsafe-no-sandbox) : le code des "
                    "étudiants tourne avec vos droits, voit le kit, les solutions et les "
                    "autres copies, et a accès au réseau")
        parts = ["uid non-root par slot" if self.uid_drop else
                 "espace de noms utilisateur (sans root), capacités retirées"]
        if self.namespaces:
            parts.append("espaces de noms " + "/".join(self.namespaces))
        if "net" in self.namespaces:
            parts.append("aucun réseau")
        if self.hide_paths:
            parts.append("kit, reference/, tests cachés, autres copies, /home, /run et /tmp "
                         "masqués")
        if self.readonly:
            parts.append("système de fichiers en lecture seule (sauf /tmp privé)")
        if self.memory_cgroup:
            parts.append("cgroup mémoire")
        if self.pids_cgroup:
            parts.append("cgroup pids")
        if self.no_new_privs:
            parts.append("no_new_privs")
        if self.rlimits:
            parts.append("rlimits " + ",".join(self.rlimits))
        text = f"protections actives ({self.mode}) : " + " ; ".join(parts)
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


def claim_slots(n: int) -> tuple[list[int], list[int]]:
    """``n`` slot numbers no other grader on this machine holds (a lock file each, kept
    until the process ends), and their descriptors. Two graders at once (two Dask
    workers, two batches) must not share a slot: its uid carries RLIMIT_NPROC, so a fork
    bomb next door would fail an honest student here."""
    import fcntl
    import tempfile

    folder = Path("/run/lock")
    if not (folder.is_dir() and os.access(folder, os.W_OK)):
        folder = Path(tempfile.gettempdir())
    slots, fds = [], []
    for k in range(1000):
        if len(slots) == n:
            break
        path = folder / f"dlkit-slot-{os.getuid()}-{k}.lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        slots.append(k)
        fds.append(fd)
    if len(slots) < n:  # no lock folder at all: fall back on this process's own numbering
        slots += [k for k in range(1000, 2000)][: n - len(slots)]
    return slots, fds


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


def remove_stale_cgroups() -> list[Path]:
    """Remove the ``dlkit-<pid>-<slot>`` groups of graders that are gone (killed with
    SIGKILL, no ``finally`` ran): kill what is left inside, then rmdir. Returns them."""
    removed = []
    for controller in ("memory", "pids"):
        base = _own_cgroup(controller)
        if base is None:
            continue
        for path in base.glob("dlkit-*-*"):
            try:
                owner = int(path.name.split("-")[1])
            except (IndexError, ValueError):
                continue
            if owner == os.getpid() or Path(f"/proc/{owner}").exists():
                continue
            # Killed tasks leave the group only once the kernel has torn them down, and
            # rmdir says EBUSY until then: retry for a few seconds, not a few yields.
            deadline = time.monotonic() + 10
            while True:
                try:
                    pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
                except OSError:
                    pids = []
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    path.rmdir()
                    removed.append(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
    return removed


# --- where things live, and what the sandbox shows of them ----------------------------

class LayoutError(RuntimeError):
    """The runtime lives where the sandbox must hide (e.g. inside ``reference/``)."""


@dataclass
class Layout:
    """Mount rules, applied shallowest first so the deepest rule wins at every path."""

    hide: list[Path]
    """Covered by an empty tmpfs (the kit, submissions, output, homes, /run, /tmp…)."""
    show: list[Path]
    """Bound back read-only on top of a cover: the Python runtime, wherever it is."""
    secret: list[Path]
    """Hidden even inside a shown folder; a runtime inside one is refused."""

    def rules(self) -> list[tuple[Path, bool]]:
        """(path, shown?) in mount order, without rules that change nothing."""
        wanted = {p: False for p in self.hide} | {p: False for p in self.secret} \
            | {p: True for p in self.show}
        out: list[tuple[Path, bool]] = []
        for path in sorted(wanted, key=lambda p: (len(p.parts), str(p))):
            shown = wanted[path]
            above = [s for q, s in out if q in path.parents]
            if (above[-1] if above else True) != shown:
                out.append((path, shown))
        return out


def _resolved(paths) -> list[Path]:
    out = []
    for p in paths:
        try:
            r = Path(p).resolve()
        except (OSError, RuntimeError):
            continue
        if r.exists() and r not in out:
            out.append(r)
    return out


def runtime_paths() -> list[Path]:
    """What Python needs after the fork: its prefixes, every ``sys.path`` entry, and the
    folder of every top-level package already imported from elsewhere (the kit's own
    ``grading`` through an editable install, a ``PYTHONPATH`` package)."""
    paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))]
    paths += [p for p in sys.path if p]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if "." in name or not file:
            continue
        file_path = Path(file)
        paths.append(file_path.parent if file_path.name == "__init__.py" else file_path)
    return _resolved(paths)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def plan_layout(kit: Path, submissions: Path, out: Path, uid_drop: bool) -> Layout:
    """The mount rules of every sandbox of a run; :class:`LayoutError` when the runtime
    cannot stay visible without showing a secret."""
    kit, submissions, out = (p.resolve() for p in (kit, submissions, out))
    home = Path(os.path.expanduser("~"))
    hide = _resolved([kit, submissions, out, "/home", "/root", home, "/run", "/mnt",
                      "/media", *WRITABLE])
    package = Path(__file__).resolve().parents[1]  # the kit's grading/, wherever installed
    # The authoring wing holds the planted bugs and the release's templates.
    secret = _resolved([kit / "reference", *(base / name for base in (kit / "grading", package)
                                             for name in ("hidden", "authoring", "tests")),
                        submissions, out])
    show = []
    for path in runtime_paths():
        # A sys.path entry that holds a hidden folder (the checkout itself, run with
        # `python -m grading`; $HOME on PYTHONPATH) is not shown whole: the packages
        # imported from it are, one by one.
        if any(_within(h, path) for h in hide) or path == Path("/"):
            continue
        for s in secret:
            if _within(path, s):
                raise LayoutError(
                    f"l'environnement Python ({path}) est dans {s}, que le bac à sable doit "
                    "cacher aux étudiants : installez le kit dans un environnement situé "
                    "ailleurs (par exemple .venv/ à la racine du kit, ~/.venvs/dlkit ou "
                    "/opt/dlkit)")
        show.append(path)
    if uid_drop:
        # The slot's uid must be able to walk down to the runtime (pyenv under /root 0700).
        for path in show:
            for parent in path.parents:
                if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
                    hide.append(parent)
    return Layout(hide=sorted(set(hide)), show=sorted(set(show)), secret=sorted(set(secret)))


# --- the lockdown, run in the forked child ---------------------------------------------

def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_user_namespace(flags: int) -> None:
    """Ordinary user: a new user namespace (the grader's uid is root there, and only
    there) owning the other new namespaces. Only a single-threaded process may do this,
    hence fork first, unshare second."""
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER | flags)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")


def _mount_flags(path: str) -> int:
    """Flags a bind remount must keep (a user namespace may not clear locked ones)."""
    f = os.statvfs(path).f_flag
    kept = f & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    return kept | (MS_RELATIME if f & ST_RELATIME else 0)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def set_readonly(path: str, recursive: bool, readonly: bool = True) -> None:
    attr = _MountAttr(MOUNT_ATTR_RDONLY if readonly else 0, 0 if readonly else
                      MOUNT_ATTR_RDONLY, 0, 0)
    ret = _libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(),
                        AT_RECURSIVE if recursive else 0, ctypes.byref(attr),
                        ctypes.sizeof(attr))
    _check(0 if ret == 0 else -1, f"mount_setattr {path}")


def apply_layout(layout: Layout, limits: Limits) -> None:
    """Covers, read-only binds of the runtime, covers again over secrets inside it;
    then the whole tree read-only but the private tmpfs folders."""
    mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    rules = layout.rules()
    # Sources are opened before anything is covered; the binds then come from them.
    sources = {p: os.open(p, os.O_PATH) for p, shown in rules if shown}
    for path, shown in rules:
        target = str(path)
        if shown:
            if not path.exists():  # the mount point, inside a cover of ours
                if path.is_dir() or os.path.isdir(f"/proc/self/fd/{sources[path]}"):
                    path.mkdir(parents=True, exist_ok=True)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch()
            mount(f"/proc/self/fd/{sources[path]}", target, None, MS_BIND | MS_REC, None)
            mount("none", target, None,
                  MS_BIND | MS_REMOUNT | MS_RDONLY | _mount_flags(target), None)
            os.close(sources[path])
        elif target in WRITABLE:
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
                  f"size={limits.tmpfs_bytes},mode=1777")
        elif path.is_dir():
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=64k,mode=0755")
    try:
        set_readonly("/", recursive=True)
    except OSError:
        return  # kernel < 5.12: the binds above are read-only all the same
    for tmp in WRITABLE:
        if any(p == Path(tmp) for p, shown in rules if not shown):
            set_readonly(tmp, recursive=False, readonly=False)


def enter_namespaces(protections: Protections, layout: Layout | None, work: Path,
                     limits: Limits) -> None:
    """New namespaces and the planned mount tree (forked child, before any student code)."""
    flags = 0
    for name, flag in (("mount", CLONE_NEWNS), ("net", CLONE_NEWNET), ("pid", CLONE_NEWPID),
                       ("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS)):
        if name in protections.namespaces:
            flags |= flag
    if protections.mode == "userns":
        enter_user_namespace(flags)
    elif flags:
        unshare(flags)
    if protections.hide_paths and layout is not None:
        apply_layout(layout, limits)
    work.mkdir(parents=True, exist_ok=True)


def mount_proc() -> None:
    """In the new PID namespace, /proc shows only the sandbox's own processes."""
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    except OSError:
        pass


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Lose every capability for good: the bounding set, securebits that make an execve
    as (namespace) root gain nothing, then the effective/permitted/inheritable sets."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    prctl(PR_SET_SECUREBITS, SECURE_ALL_LOCKED)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def address_space_limit(limits: Limits) -> int:
    """Without a memory cgroup: what the process has mapped already (the CUDA build of
    torch maps several GB it never touches) plus the memory limit."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024 + limits.memory_bytes
    except (OSError, ValueError):
        pass
    return max(limits.memory_bytes, 8 << 30)


def drop_privileges(protections: Protections, limits: Limits, slot: int) -> None:
    """rlimits, then the slot's uid (root) or no capabilities (user namespace), then
    no_new_privs (the runner, just before pytest)."""
    rl = [(resource.RLIMIT_CPU, limits.cpu_seconds), (resource.RLIMIT_FSIZE, limits.file_bytes),
          (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CORE, 0)]
    if protections.uid_drop or protections.mode == "userns":
        # Counted per uid: the slot's own uid, or (kernel >= 5.14) per user namespace.
        rl.append((resource.RLIMIT_NPROC, limits.processes))
    if not protections.memory_cgroup and protections.sandboxed:
        rl.append((resource.RLIMIT_AS, address_space_limit(limits)))
    for which, value in rl:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
    # A write past RLIMIT_FSIZE then fails with EFBIG instead of killing the run.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if protections.uid_drop:
        uid = SANDBOX_UID_BASE + slot
        drop_bounding_set_only()
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    elif protections.caps_dropped:
        drop_capabilities()
    if protections.no_new_privs:
        prctl(PR_SET_NO_NEW_PRIVS, 1)


def drop_bounding_set_only() -> None:
    """As root before the uid change: no capability can come back through an execve."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break


def _probe(mode: str, w: int) -> None:  # pragma: no cover - runs in the probe child
    ok = []
    flags = {"mount": CLONE_NEWNS, "net": CLONE_NEWNET, "pid": CLONE_NEWPID,
             "ipc": CLONE_NEWIPC, "uts": CLONE_NEWUTS}
    if mode == "userns":
        try:
            enter_user_namespace(sum(flags.values()))
            ok += list(flags)
        except OSError:
            pass
    else:
        for name, flag in flags.items():
            try:
                unshare(flag)
                ok.append(name)
            except OSError:
                pass
    if "mount" in ok:
        try:
            mount("none", "/", None, MS_REC | MS_PRIVATE, None)
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k")
            mount("/usr", "/tmp", None, MS_BIND | MS_REC, None)
            mount("none", "/tmp", None, MS_BIND | MS_REMOUNT | MS_RDONLY | _mount_flags("/tmp"),
                  None)
            ok.append("hide")
            set_readonly("/", recursive=True)
            ok.append("ro")
        except OSError:
            pass
    if os.geteuid() == 0 and mode == "root":
        try:
            os.setgid(SANDBOX_UID_BASE)
            os.setuid(SANDBOX_UID_BASE)
            ok.append("uid")
        except OSError:
            pass
    elif mode == "userns":
        try:
            drop_capabilities()
            ok.append("caps")
        except OSError:
            pass
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        ok.append("nnp")
    except OSError:
        pass
    os.write(w, ",".join(ok).encode())


def detect(limits: Limits, unsafe: bool = False) -> Protections:
    """Probe, in a throwaway child, which protections this machine allows.

    Root gets the uid-drop sandbox; an ordinary user the user-namespace one. Where
    neither can hide the kit, ``mode`` is ``none`` and ``problems`` says why: the grader
    then refuses unless ``unsafe`` (``--unsafe-no-sandbox``)."""
    if unsafe:
        return Protections(mode="none", root=os.geteuid() == 0,
                           problems=["bac à sable désactivé (--unsafe-no-sandbox)"])
    mode = "root" if os.geteuid() == 0 else "userns"
    prot = Protections(mode=mode, root=mode == "root")
    prot.memory_cgroup = _own_cgroup("memory") is not None
    prot.pids_cgroup = _own_cgroup("pids") is not None
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the probe child
        os.close(r)
        try:
            _probe(mode, w)
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        got = f.read().split(",")
    os.waitpid(pid, 0)
    prot.namespaces = [n for n in ("mount", "net", "pid", "ipc", "uts") if n in got]
    prot.hide_paths = "hide" in got
    prot.readonly = "ro" in got
    prot.no_new_privs = "nnp" in got
    prot.uid_drop = "uid" in got
    prot.caps_dropped = "caps" in got
    prot.rlimits = ["CPU", "FSIZE", "NOFILE", "CORE", "NPROC"] \
        + ([] if prot.memory_cgroup else ["AS"])
    if not prot.memory_cgroup:
        prot.problems.append("cgroup mémoire (limite d'espace d'adressage à la place)")
    if not prot.pids_cgroup:
        prot.problems.append("cgroup pids (RLIMIT_NPROC à la place)")
    for name in ("mount", "net", "pid"):
        if name not in prot.namespaces:
            prot.problems.append(f"espace de noms {name}")
    if not prot.readonly:
        prot.problems.append("arbre en lecture seule (noyau < 5.12 : seuls les montages de "
                             "l'environnement Python sont en lecture seule)")
    isolated = prot.hide_paths and "net" in prot.namespaces and "pid" in prot.namespaces \
        and (prot.uid_drop or prot.caps_dropped)
    if not isolated:
        prot.problems.insert(0, "bac à sable impossible ici : " + (
            USERNS_HELP if mode == "userns" else
            "root sans espaces de noms (conteneur non privilégié ?)"))
        prot.mode = "none"
    return prot


def unsafe_refusal(prot: Protections) -> str:
    """The message of a grader that refuses to run without a sandbox."""
    return ("Correction refusée : " + prot.problems[0] + ".\n"
            "Pour corriger quand même, sans aucune protection (le code des étudiants "
            "tournera avec vos droits) : --unsafe-no-sandbox.")
