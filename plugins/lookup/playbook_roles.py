"""Lookup ``invoice.platform.playbook_roles``: the roles a playbook run will use."""

from __future__ import annotations

DOCUMENTATION = r"""
name: playbook_roles
short_description: The roles a playbook run will use, in order, with their paths
version_added: 1.0.0
description:
  - Reads the playbooks given as terms and follows C(import_playbook), the plays' C(roles),
    and every C(include_role) / C(import_role) with a static name in the plays' tasks, in the
    roles' task files and in the roles' C(meta/main.yml) dependencies.
  - Returns each role once, in the order the run first reaches it, as a dict with C(name)
    (the role name), C(path) (its directory) and C(tags) (the tags of the plays that run it).
  - Plays that the run's tags leave out are left out (C(run_tags), C(skip_tags), with the
    meaning of C(--tags) and C(--skip-tags); C(always) plays run unless C(always) is skipped).
  - Used by the first play of C(site.yml) to validate every role of the run before the first
    AWS call, so a new role is covered by adding its play to a tier playbook, nothing else.
options:
  _terms:
    description: Playbook paths (relative ones are taken from the current directory).
    type: list
    elements: path
    required: true
  run_tags:
    description: The run's C(--tags) (the magic variable C(ansible_run_tags)).
    type: list
    elements: str
    default: [all]
  skip_tags:
    description: The run's C(--skip-tags) (the magic variable C(ansible_skip_tags)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Show the roles site.yml runs
  ansible.builtin.debug:
    msg: "{{ lookup('invoice.platform.playbook_roles', 'site.yml', wantlist=True) | map(attribute='name') }}"
"""

RETURN = r"""
_raw:
  description: One dict per role, in the order the run first reaches it.
  type: list
  elements: dict
  contains:
    name:
      description: The role name.
      type: str
    path:
      description: The role's directory.
      type: str
    tags:
      description: Tags of the plays that run the role.
      type: list
      elements: str
"""

import os
from typing import Any

import yaml
from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

ROLE_ACTIONS = {
    f"{prefix}{action}"
    for prefix in ("", "ansible.builtin.", "ansible.legacy.")
    for action in ("include_role", "import_role")
}
TASK_LISTS = ("block", "rescue", "always")


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise AnsibleLookupError(f"playbook_roles: cannot read {path}: {exc}") from exc


def _static(name: Any) -> str | None:
    return name if isinstance(name, str) and "{{" not in name and "{%" not in name else None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return [str(v) for v in value]


def selected(tags: list[str], run_tags: list[str], skip_tags: list[str]) -> bool:
    """Whether a play with ``tags`` runs under --tags ``run_tags`` --skip-tags ``skip_tags``."""
    tagset = set(tags)
    if "always" in tagset and "always" not in skip_tags:
        return True
    if tagset & set(skip_tags) or ("tagged" in skip_tags and tagset) or ("untagged" in skip_tags and not tagset):
        return False
    run = set(run_tags) or {"all"}
    return bool("all" in run or tagset & run or ("tagged" in run and tagset) or ("untagged" in run and not tagset))


class RoleFinder:
    def __init__(self, search: list[str]) -> None:
        self.search = search
        self.found: dict[str, dict[str, Any]] = {}

    def path(self, name: str) -> str:
        # A collection role (namespace.collection.role) of this repository lives in its roles/.
        names = [name, name.rsplit(".", maxsplit=1)[-1]] if name.count(".") == 2 else [name]
        for base in self.search:
            for short in names:
                candidate = os.path.join(base, short)
                if os.path.isdir(os.path.join(candidate, "tasks")) or os.path.isdir(os.path.join(candidate, "meta")):
                    return candidate
        raise AnsibleLookupError(f"playbook_roles: role {name!r} not found in {', '.join(self.search)}")

    def add(self, name: str, tags: list[str]) -> None:
        # dns and invoice.platform.dns are one role
        key = name.rsplit(".", maxsplit=1)[-1] if name.count(".") == 2 else name
        if key in self.found:
            self.found[key]["tags"] = sorted(set(self.found[key]["tags"]) | set(tags))
            return
        path = self.path(name)
        self.found[key] = {"name": name, "path": path, "tags": sorted(set(tags))}
        meta = os.path.join(path, "meta", "main.yml")
        if os.path.isfile(meta):
            for dep in (_load(meta) or {}).get("dependencies") or []:
                dep_name = _static(dep.get("role", dep.get("name")) if isinstance(dep, dict) else dep)
                if dep_name:
                    self.add(dep_name, tags)
        tasks_dir = os.path.join(path, "tasks")
        if os.path.isdir(tasks_dir):
            for file in sorted(os.listdir(tasks_dir)):
                if file.endswith((".yml", ".yaml")):
                    self.tasks(_load(os.path.join(tasks_dir, file)), tags)

    def tasks(self, tasks: Any, tags: list[str]) -> None:
        for task in tasks or []:
            if not isinstance(task, dict):
                continue
            for key in TASK_LISTS:
                self.tasks(task.get(key), tags)
            for action in ROLE_ACTIONS & set(task):
                args = task[action]
                name = _static(args.get("name") if isinstance(args, dict) else args)
                if name:
                    self.add(name, tags + _as_list(task.get("tags")))


def playbook_roles(
    playbooks: list[str], run_tags: list[str], skip_tags: list[str], roles_path: list[str]
) -> list[dict[str, Any]]:
    """The roles ``playbooks`` use under the given tags, searched in <playbook dir>/roles then ``roles_path``."""
    results: list[dict[str, Any]] = []
    for term in playbooks:
        playbook = os.path.abspath(term)
        finder = RoleFinder([os.path.join(os.path.dirname(playbook), "roles"), *roles_path])
        _playbook(playbook, finder, run_tags, skip_tags, [])
        seen = {r["path"] for r in results}
        results.extend(r for r in finder.found.values() if r["path"] not in seen)
    return results


def _playbook(path: str, finder: RoleFinder, run_tags: list[str], skip_tags: list[str], outer: list[str]) -> None:
    for play in _load(path) or []:
        if not isinstance(play, dict):
            continue
        tags = outer + _as_list(play.get("tags"))
        imported = play.get("import_playbook", play.get("ansible.builtin.import_playbook"))
        if imported:
            _playbook(os.path.join(os.path.dirname(path), imported), finder, run_tags, skip_tags, tags)
            continue
        if not selected(tags, run_tags, skip_tags):
            continue
        for role in play.get("roles") or []:
            name = _static(role.get("role", role.get("name")) if isinstance(role, dict) else role)
            if name:
                finder.add(name, tags)
        for key in ("pre_tasks", "tasks", "post_tasks"):
            finder.tasks(play.get(key), tags)


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        self.set_options(var_options=variables, direct=kwargs)
        run_tags = _as_list(self.get_option("run_tags"))
        skip_tags = _as_list(self.get_option("skip_tags"))
        return playbook_roles(terms, run_tags, skip_tags, list(C.DEFAULT_ROLES_PATH))
