"""The secrets of the embedded default, kept in files under var_dir when none is configured.

A laptop run needs no setup: the first start writes a Fernet key and an API JWT secret next to
the SQLite database (mode 0600) and warns that production should configure both. A key file is
never generated next to a database that already exists, since that database's tokens were
encrypted with the key now missing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def embedded_fernet_key(var_dir: Path, embedded_db: Path | None = None) -> str:
    from cryptography.fernet import Fernet

    key_file = var_dir / "fernet.key"
    if key_file.exists():
        return key_file.read_text().strip()
    if embedded_db is not None and embedded_db.exists():
        # One key per data folder: a database already here was written with another key, and a
        # new one would make every stored token unreadable.
        raise ValueError(
            f"{embedded_db} exists but its key {key_file} does not: restore the key file (or set "
            "STUDYPLANNER_FERNET_KEYS to the key it was written with); a new key could not read "
            "the stored tokens"
        )
    var_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    log.warning(
        "No STUDYPLANNER_FERNET_KEYS set: generated a key in %s. Fine for a laptop; in production "
        "set STUDYPLANNER_FERNET_KEYS and keep the key outside the data directory.",
        key_file,
    )
    return key


def embedded_api_secret(var_dir: Path) -> str:
    import secrets
    import tempfile

    key_file = var_dir / "api-jwt.secret"
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        # Several API worker processes may start at once: link a complete file into place so
        # that exactly one secret wins and nobody reads a half-written one.
        fd, tmp = tempfile.mkstemp(dir=var_dir, prefix=".api-jwt-")
        try:
            os.write(fd, (secrets.token_urlsafe(48) + "\n").encode())
            os.close(fd)
            os.chmod(tmp, 0o600)
            os.link(tmp, key_file)
            log.warning(
                "No STUDYPLANNER_API_JWT_SECRET set: generated one in %s. Fine for a laptop; in "
                "production set STUDYPLANNER_API_JWT_SECRET (the same for every API process).",
                key_file,
            )
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return key_file.read_text().strip()
