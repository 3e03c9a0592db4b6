"""A recording stand-in for the ``docker`` CLI (no Docker engine on these machines).

``tools/fakedocker/docker`` is what ``deploy_docker_command`` points at in the local
inventory. See :mod:`tools.fakedocker.cli` for what each sub-command does.
"""
