"""invoice.platform.playbook_roles: the roles a run uses, found from the playbooks themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.invoice.platform.plugins.lookup.playbook_roles import playbook_roles, selected

from bench.stack_bench import TIERS

ROOT = Path(__file__).resolve().parents[2]
SITE_ROLES = ["preflight", *TIERS]  # the tier roles in the order the stack benchmark runs them


def roles(
    playbook: Path, run_tags: list[str] | None = None, skip_tags: list[str] | None = None
) -> list[dict[str, Any]]:
    return playbook_roles([str(playbook)], run_tags or ["all"], skip_tags or [], [])


def test_site_yml_uses_every_role_of_its_tiers() -> None:
    found = roles(ROOT / "site.yml")
    names = [r["name"].split(".")[-1] for r in found]  # the playbooks name them invoice.platform.<role>
    # Every role a tier playbook of site.yml names is found, each once, in the order the run meets it.
    for name in SITE_ROLES:
        assert name in names
    assert len(names) == len(set(names))
    assert names[0] == "preflight"
    assert names.index("network") < names.index("database") < names.index("service")
    assert all(Path(r["path"]).is_dir() and Path(r["path"]).name == r["name"].split(".")[-1] for r in found)


def test_tags_select_the_tiers_that_run() -> None:
    names = [r["name"].split(".")[-1] for r in roles(ROOT / "site.yml", run_tags=["database"])]
    assert names == ["preflight", "database"]
    found = roles(ROOT / "site.yml", run_tags=["all"], skip_tags=["cdn", "service", "deploy"])
    names = [r["name"].split(".")[-1] for r in found]
    assert "cdn" not in names and "service" not in names and "monitoring" in names
    # The deploy tier includes the service role (deploy_source: code creates the service from the
    # repository), so with only the service tier skipped the role is still reached, through deploy alone.
    found = roles(ROOT / "site.yml", run_tags=["all"], skip_tags=["cdn", "service"])
    tags = {r["name"].split(".")[-1]: r["tags"] for r in found}
    assert "cdn" not in tags and tags["service"] == ["deploy"] and "monitoring" in tags


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))


def test_a_new_role_is_found_with_no_list_to_edit(tmp_path: Path) -> None:
    # A tier playbook naming a new role, which includes another one from its tasks (nested in a
    # block) and depends on a third; a templated include is not followed.
    write(
        tmp_path / "roles" / "fresh" / "tasks" / "main.yml",
        [{"name": "x", "block": [{"include_role": {"name": "helper"}}]}],
    )
    write(tmp_path / "roles" / "fresh" / "meta" / "main.yml", {"dependencies": [{"role": "base"}]})
    write(tmp_path / "roles" / "helper" / "tasks" / "main.yml", [{"ansible.builtin.include_role": {"name": "{{ x }}"}}])
    write(tmp_path / "roles" / "base" / "tasks" / "main.yml", [])
    write(tmp_path / "playbooks" / "fresh.yml", [{"hosts": "localhost", "tags": ["fresh"], "roles": ["fresh"]}])
    write(tmp_path / "site.yml", [{"ansible.builtin.import_playbook": "playbooks/fresh.yml"}])
    (tmp_path / "playbooks" / "roles").symlink_to(tmp_path / "roles")
    found = roles(tmp_path / "site.yml")
    assert [r["name"] for r in found] == ["fresh", "base", "helper"]
    assert found[0]["tags"] == ["fresh"]


def test_an_unknown_role_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "site.yml", [{"hosts": "localhost", "roles": ["nowhere_to_be_found"]}])
    with pytest.raises(Exception, match="role 'nowhere_to_be_found' not found"):
        roles(tmp_path / "site.yml")


@pytest.mark.parametrize(
    ("tags", "run", "skip", "expected"),
    [
        (["always"], ["database"], [], True),
        (["always"], ["all"], ["always"], False),
        (["cdn"], ["all"], [], True),
        (["cdn"], ["database"], [], False),
        (["cdn"], ["all"], ["cdn"], False),
        ([], ["untagged"], [], True),
        (["cdn"], ["tagged"], [], True),
    ],
)
def test_tag_selection_follows_ansible(tags: list[str], run: list[str], skip: list[str], expected: bool) -> None:
    assert selected(tags, run, skip) is expected
