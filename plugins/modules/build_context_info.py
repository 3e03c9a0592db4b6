#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: build_context_info
version_added: 0.3.0
short_description: The content version of a docker build context and its uncommitted changes
description:
  - Reads the files a C(docker build) of O(context) sends (every file C(.dockerignore) does not exclude, with
    Docker's matching rules, and the Dockerfile) and returns their content version, a SHA-256 of their paths and
    bytes. The same files give the same version whatever else changed in the repository.
  - Lists the uncommitted changes (C(git status)) to files of the context, so a caller can refuse to build a
    version that no commit describes. Changes outside the context are not listed.
  - Read-only; runs in check mode too.
author:
  - Invoice platform team (@invoice-platform)
options:
  context:
    description: The build context directory (inside a git work tree).
    type: path
    required: true
  dockerfile:
    description: The Dockerfile, relative to O(context) or absolute.
    type: path
    default: Dockerfile
  length:
    description: Number of hex digits of the version.
    type: int
    default: 16
"""

EXAMPLES = r"""
- name: Read the build context's version
  invoice.platform.build_context_info:
    context: "{{ playbook_dir }}/.."
  register: build_context

- name: Tag the image with it
  ansible.builtin.debug:
    msg: "invoice-api:{{ build_context.version }} from commit {{ build_context.commit }}"
"""

RETURN = r"""
version:
  description: Content version of the build context (hex digits of a SHA-256).
  returned: always
  type: str
  sample: 3f9a1c0e7b2d4a65
files:
  description: Number of files the build sends (the Dockerfile included).
  returned: always
  type: int
dirty:
  description: C(git status --porcelain) lines (status and path) of uncommitted changes to files of the context.
  returned: always
  type: list
  elements: str
  sample: ["M app/main.py", "?? app/new.py"]
commit:
  description: The work tree's HEAD commit (12 hex digits), or an empty string outside a git work tree.
  returned: always
  type: str
"""

import os
import subprocess
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.invoice.platform.plugins.module_utils.build_context import (
    dirty_paths,
    version,
)


def head_commit(context):
    proc = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],  # noqa: S607 (git from PATH, as the role's commands)
        cwd=context,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            context=dict(type="path", required=True),
            dockerfile=dict(type="path", default="Dockerfile"),
            length=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    context = Path(module.params["context"])
    if not context.is_dir():
        module.fail_json(msg=f"context {context} is not a directory")
    dockerfile = Path(module.params["dockerfile"])
    dockerfile = dockerfile if dockerfile.is_absolute() else context / dockerfile
    if not dockerfile.is_file():
        module.fail_json(msg=f"dockerfile {dockerfile} does not exist")
    if not 8 <= module.params["length"] <= 64:
        module.fail_json(msg=f"length must be 8-64, got {module.params['length']}")
    commit = head_commit(context)
    try:
        dirty = dirty_paths(context, dockerfile) if commit else []
    except (OSError, subprocess.CalledProcessError) as e:
        module.fail_json(msg=f"git status in {context} failed: {getattr(e, 'stderr', '') or e}")
    content_version, count = version(context, dockerfile, module.params["length"])
    module.exit_json(
        changed=False,
        version=content_version,
        files=count,
        dirty=dirty,
        commit=commit,
        context=os.fspath(context),
    )


if __name__ == "__main__":
    main()
