"""Action ``invoice.platform.validate_role_arguments``: check roles' arguments before they run."""

from __future__ import annotations

DOCUMENTATION = r"""
name: validate_role_arguments
short_description: Check the arguments of roles against their argument specs before they run
version_added: 1.0.0
description:
  - For each role, reads C(meta/argument_specs.yml) (the C(main) entry point), the role's
    C(defaults/main.yml) and C(vars/main.yml), and validates the values the role would see
    when it runs - inventory, extra vars and facts over the role's defaults, the role's vars
    over those, C(role_path) set - the way Ansible's own check at the start of the role does.
  - Reports the problems of every role at once and fails when there is any; it makes no
    AWS call and changes nothing.
  - C(ansible.builtin.validate_argument_spec) checks one spec against the variables of the
    current task, so outside a role it sees neither the role's defaults nor C(role_path);
    this action gives the first play of a run the view each role will have.
options:
  roles:
    description:
      - The roles, as C(invoice.platform.playbook_roles) returns them (dicts with C(name)
        and C(path)).
    type: list
    elements: dict
    required: true
  entry_point:
    description: The argument spec entry point to check.
    type: str
    default: main
"""

EXAMPLES = r"""
- name: Check the arguments of every role of site.yml
  invoice.platform.validate_role_arguments:
    roles: "{{ lookup('invoice.platform.playbook_roles', playbook_dir ~ '/site.yml', wantlist=True) }}"
"""

RETURN = r"""
problems:
  description: One message per argument error, prefixed with the role name.
  type: list
  elements: str
checked:
  description: The roles whose arguments were checked.
  type: list
  elements: str
"""

import os
from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def _yaml(self, path: str) -> Any:
        for candidate in (path + ".yml", path + ".yaml"):
            if os.path.isfile(candidate):
                return self._loader.load_from_file(candidate) or {}
        return {}

    def _check(self, role: dict[str, Any], entry_point: str, task_vars: dict[str, Any]) -> list[str]:
        name, path = role["name"], role["path"]
        specs = self._yaml(os.path.join(path, "meta", "argument_specs")).get("argument_specs") or {}
        options = (specs.get(entry_point) or {}).get("options")
        if not options:
            return []
        defaults = self._yaml(os.path.join(path, "defaults", "main"))
        role_vars = self._yaml(os.path.join(path, "vars", "main"))
        # Precedence as when the role runs: its defaults lowest, its vars above the inventory.
        available = {**defaults, **task_vars, **role_vars, "role_path": path, "role_name": name}
        templar = self._templar.copy_with_new_env(available_variables=available)
        values: dict[str, Any] = {}
        problems = []
        for option in options:
            if option not in available:
                continue
            try:
                values[option] = templar.template(available[option])
            except AnsibleError as exc:
                problems.append(f"{name}: {option} cannot be evaluated: {exc.message}")
        result = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
        problems += [f"{name}: {message}" for message in result.error_messages]
        return problems

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        roles = self._task.args.get("roles")
        entry_point = self._task.args.get("entry_point", "main")
        if not isinstance(roles, list) or not all(isinstance(r, dict) and "name" in r and "path" in r for r in roles):
            raise AnsibleError("validate_role_arguments: roles must be a list of dicts with name and path")
        problems = []
        for role in roles:
            problems += self._check(role, entry_point, task_vars)
        result.update(changed=False, problems=problems, checked=[r["name"] for r in roles])
        if problems:
            result["failed"] = True
            result["msg"] = "Role arguments: " + "; ".join(problems)
        else:
            result["msg"] = f"The arguments of {len(roles)} role(s) passed their argument specs"
        return result
