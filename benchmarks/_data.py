"""Benchmark inputs fetched on demand and cached under ``.cache/`` (never committed)."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "benchmarks"
GITHUB_PACKAGE = "@octokit/openapi@23.0.2"
GITHUB_MEMBER = "package/generated/api.github.com.json"


def github_spec_path() -> Path:
    """GitHub's REST description from the npm package ``@octokit/openapi``.

    Fetched once with ``npm pack`` (the npm registry is reachable from CI
    machines) and cached.
    """
    target = CACHE / "api.github.com.json"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", GITHUB_PACKAGE, "--silent"],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(GITHUB_MEMBER)
            if member is None:
                raise FileNotFoundError(
                    f"{GITHUB_MEMBER} missing from {GITHUB_PACKAGE}"
                )
            with open(target.with_suffix(".tmp"), "wb") as out:
                shutil.copyfileobj(member, out)
    target.with_suffix(".tmp").rename(target)
    return target
