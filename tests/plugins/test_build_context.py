"""plugins/module_utils/build_context.py: what a docker build sends, its version, its dirty files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from plugins.module_utils.build_context import context_files, dirty_paths, ignore_rules, ignored, version

ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("app/main.py", False),  # "!app/" re-includes what "*" excluded
        ("app/sub/deep.py", False),
        ("app/__pycache__/main.cpython-312.pyc", True),  # excluded again after the "!"
        ("app/sub/__pycache__/x.pyc", True),
        ("README.md", True),
        ("inventories/local/hosts.yml", True),
        ("apple/x.py", True),  # "app" is a path element, not a prefix
        (".git/HEAD", True),
    ],
)
def test_dockerignore_follows_dockers_rules(tmp_path: Path, path: str, excluded: bool) -> None:
    (tmp_path / ".dockerignore").write_text("# only the API\n*\n!app/\napp/**/__pycache__\n")
    assert ignored(path, ignore_rules(tmp_path)) is excluded


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print(1)\n")
    (tmp_path / "Dockerfile").write_text("FROM x\nCOPY app /app\n")
    (tmp_path / ".dockerignore").write_text("*\n!app/\n")
    (tmp_path / "notes.md").write_text("outside\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=tmp_path, env={**ENV, "PATH": "/usr/bin:/bin"}, check=True)
    return tmp_path


def test_version_and_dirty_describe_the_context_only(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    dockerfile = repo / "Dockerfile"
    assert [rel for rel, _ in context_files(repo, dockerfile)] == ["Dockerfile", "app/main.py"]
    first, files = version(repo, dockerfile)
    assert (len(first), files) == (16, 2)
    (repo / "notes.md").write_text("edited, not part of the image\n")
    (repo / "untracked.txt").write_text("x\n")
    assert version(repo, dockerfile)[0] == first
    assert dirty_paths(repo, dockerfile) == []
    (repo / "app" / "main.py").write_text("print(2)\n")
    (repo / "app" / "new.py").write_text("x = 1\n")
    assert version(repo, dockerfile)[0] != first
    assert dirty_paths(repo, dockerfile) == ["M app/main.py", "?? app/new.py"]
    (repo / "app" / "main.py").write_text("print(1)\n")
    (repo / "app" / "new.py").unlink()
    assert version(repo, dockerfile)[0] == first, "the same content gives the same version again"
