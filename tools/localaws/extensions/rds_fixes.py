"""RDS fixes for the local endpoint (moto 5.2): DB parameter groups as AWS answers them.

* DescribeDBParameterGroups with an unknown DBParameterGroupName fails with
  DBParameterGroupNotFound (moto returns an empty list; amazon.aws.rds_instance_param_group
  then crashes with IndexError).
* A new PostgreSQL parameter group holds the engine-default parameters the toolkit sets,
  with IsModifiable/ApplyType/DataType/Source, so DescribeDBParameters lists them (moto lists
  only parameters that were modified, so amazon.aws.rds_instance_param_group reports them as
  "not an available parameter" and never sets them).
* A gp3 instance reports its baseline Iops (3000) and StorageThroughput (125 MiB/s) as AWS
  does below 400 GiB (moto leaves both out; amazon.aws.rds_instance then fails with KeyError
  'StorageThroughput' on every run after the first).
"""

from __future__ import annotations

from typing import Any

# Engine defaults of the postgres families for the parameters the database role manages.
POSTGRES_DEFAULTS: dict[str, dict[str, str]] = {
    "rds.force_ssl": {"ParameterValue": "0", "ApplyType": "dynamic", "DataType": "boolean", "AllowedValues": "0,1"},
    "log_min_duration_statement": {"ApplyType": "dynamic", "DataType": "integer", "AllowedValues": "-1-2147483647"},
    "log_connections": {"ApplyType": "dynamic", "DataType": "boolean", "AllowedValues": "0,1"},
    "log_disconnections": {"ApplyType": "dynamic", "DataType": "boolean", "AllowedValues": "0,1"},
    "idle_in_transaction_session_timeout": {
        "ApplyType": "dynamic",
        "DataType": "integer",
        "AllowedValues": "0-2147483647",
    },
    "statement_timeout": {"ApplyType": "dynamic", "DataType": "integer", "AllowedValues": "0-2147483647"},
    "max_connections": {"ApplyType": "static", "DataType": "integer", "AllowedValues": "6-262143"},
    "shared_preload_libraries": {"ApplyType": "static", "DataType": "list", "AllowedValues": "pg_stat_statements"},
}


def register() -> None:
    """Patch moto's RDS backend (idempotent)."""
    from moto.rds.exceptions import DBParameterGroupNotFoundError  # noqa: PLC0415
    from moto.rds.models import RDSBackend  # noqa: PLC0415

    if getattr(RDSBackend, "_localaws_rds_fixes", False):
        return

    original_describe = RDSBackend.describe_db_parameter_groups
    original_create = RDSBackend.create_db_parameter_group

    def describe_db_parameter_groups(self: RDSBackend, kwargs: dict[str, Any]) -> Any:
        found = original_describe(self, kwargs)
        name = kwargs.get("db_parameter_group_name")
        if name and not found:
            raise DBParameterGroupNotFoundError(name)
        return found

    def create_db_parameter_group(self: RDSBackend, kwargs: dict[str, Any]) -> Any:
        group = original_create(self, kwargs)
        if (group.family or "").startswith("postgres"):
            for name, spec in POSTGRES_DEFAULTS.items():
                group.parameters[name] = {
                    "ParameterName": name,
                    "Source": "engine-default",
                    "IsModifiable": True,
                    "ApplyMethod": "pending-reboot",
                    **spec,
                }
        return group

    from moto.rds.models import DBParameterGroup  # noqa: PLC0415

    original_update = DBParameterGroup.update_parameters

    def update_parameters(self: DBParameterGroup, new_parameters: Any) -> None:
        original_update(self, new_parameters)
        for new_parameter in new_parameters:
            self.parameters[new_parameter["ParameterName"]]["Source"] = "user"

    from moto.rds.models import DBInstance  # noqa: PLC0415

    original_init = DBInstance.__init__

    def init(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if getattr(self, "storage_type", None) == "gp3":
            if not self.iops:
                self.iops = 3000
            if not self.storage_throughput:
                self.storage_throughput = 125

    DBInstance.__init__ = init  # type: ignore[method-assign]
    DBParameterGroup.update_parameters = update_parameters  # type: ignore[method-assign]
    RDSBackend.describe_db_parameter_groups = describe_db_parameter_groups  # type: ignore[method-assign]
    RDSBackend.create_db_parameter_group = create_db_parameter_group  # type: ignore[method-assign]
    RDSBackend._localaws_rds_fixes = True  # type: ignore[attr-defined]
