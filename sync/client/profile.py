"""Where a device profile lives, and its credentials file.

A profile is a folder ``<data dir>/<profile>/`` holding ``field.db`` (the SQLite store),
``credentials.json`` (tenant ID, tenant secret, tokens; mode 0600) and ``photos/`` (images
waiting for upload). The data dir is ``--data-dir``, else ``$PUMPJACK_FIELD_HOME``, else
``$XDG_DATA_HOME/pumpjack-field``, else ``~/.local/share/pumpjack-field``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import UsageError

PROFILE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PROFILE = "default"


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    if data_dir:
        return Path(data_dir).expanduser()
    if os.environ.get("PUMPJACK_FIELD_HOME"):
        return Path(os.environ["PUMPJACK_FIELD_HOME"]).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "pumpjack-field"


def profile_dir(profile: str = DEFAULT_PROFILE, data_dir: str | os.PathLike | None = None) -> Path:
    if not PROFILE_PATTERN.match(profile or ""):
        raise UsageError(f"--profile {profile!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return data_root(data_dir) / profile


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


@dataclass
class Credentials:
    tenant_id: str = ""
    tenant_secret: str = ""
    refresh: str = ""
    access: str = ""
    access_expires_at: float = 0.0  # wall-clock seconds since the epoch

    @property
    def has_tenant(self) -> bool:
        return bool(self.tenant_id and self.tenant_secret)

    @property
    def has_session(self) -> bool:
        return bool(self.refresh)


class CredentialsFile:
    """The credentials of one profile, in a file that is 0600 from the moment it exists.

    Writes go to a temporary file opened with O_CREAT|O_EXCL and mode 0600 in the same folder,
    fsynced, then renamed over the old file: a reader sees the old or the new content, never a
    torn one, and never a world-readable one (the umask can only take bits away)."""

    NAME = "credentials.json"

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / self.NAME

    def load(self) -> Credentials:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return Credentials()
        with os.fdopen(fd, "r", encoding="utf-8") as handle:
            if os.fstat(handle.fileno()).st_mode & 0o077:  # loosened by hand: tighten it again
                os.fchmod(handle.fileno(), 0o600)
            try:
                raw = json.load(handle)
            except json.JSONDecodeError:
                return Credentials()
        known = {k: raw[k] for k in Credentials.__dataclass_fields__ if k in raw}
        return Credentials(**known)

    def save(self, credentials: Credentials) -> None:
        private_dir(self.folder)
        fd, temp = _private_temp(self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(credentials), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
        _fsync_dir(self.folder)


def _private_temp(folder: Path) -> tuple[int, str]:
    for _ in range(100):
        name = folder / f".credentials.{next(tempfile._get_candidate_names())}.tmp"  # noqa: SLF001
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            continue
        os.fchmod(fd, 0o600)
        return fd, str(name)
    raise OSError(f"could not create a temporary file in {folder}")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
