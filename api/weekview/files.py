"""The week view as files: the HTML page, and a PNG of it taken with headless Chromium."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def write_week_view(path_html: Path, html_text: str) -> Path:
    path_html.parent.mkdir(parents=True, exist_ok=True)
    path_html.write_text(html_text, encoding="utf-8")
    return path_html


def html_to_png(
    path_html: Path,
    path_png: Path,
    *,
    chromium: Path = CHROMIUM,
    window: tuple[int, int] = (1400, 1200),
    timeout_s: float = 60,
) -> bool:
    """Screenshot the page with headless Chromium; False (never an exception) when it cannot."""
    if not chromium.is_file():
        return False
    path_png.parent.mkdir(parents=True, exist_ok=True)
    path_png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="studyplanner-chromium-") as profile:
        # A throwaway profile and every background service off: no network beyond file://,
        # nothing left behind, and no first-run dialog blocking a headless start.
        command = [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={path_png.resolve()}",
            f"--window-size={window[0]},{window[1]}",
            path_html.resolve().as_uri(),
        ]
        try:
            subprocess.run(
                command,
                capture_output=True,
                timeout=timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return path_png.exists() and path_png.stat().st_size > 0
