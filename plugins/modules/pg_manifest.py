#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: pg_manifest
short_description: The manifest of a PostgreSQL database (version, schema hash, per table row count and content hash)
version_added: 0.2.0
description:
  - Reads, in one read-only repeatable-read transaction, the server version, a hash of the schema
    (columns, indexes, constraints) and, for every table, its row count and a content hash that
    does not depend on row order (the server sums a hash of every row, C(hash_record_extended) of
    its values with two seeds; tables with a column type that has no extended hash function, such
    as C(json) or C(point), the MD5 of the row's text form, and their entry says C(row_hash=md5)).
  - The manifest records its algorithm in C(row_hash). With O(compare), every table is hashed the
    way the compared manifest did (a manifest without C(row_hash), from an earlier version, used
    C(md5)), so that old backups verify too.
  - With O(compare), reports every difference between that manifest (from a backup) and the
    database, naming each table, and fails when there is one unless O(fail_on_difference=false).
  - Reads only; never changes anything (C(changed) is always false), so check mode runs it too.
  - The password is taken from O(password) or the URL and given to the driver directly; it never
    appears in the result or in a message.
author:
  - Invoice platform team (@invoice-platform)
options:
  compare:
    description:
      - A manifest to compare with (the C(database) part of a backup manifest, as this module returns it).
    type: dict
  fail_on_difference:
    description: With O(compare), fail when the database differs from it.
    type: bool
    default: true
requirements:
  - asyncpg
extends_documentation_fragment:
  - invoice.platform.postgres
"""

EXAMPLES = r"""
- name: Read the manifest of the live database
  invoice.platform.pg_manifest:
    database_url: postgresql://invoice_admin@127.0.0.1:15432/invoices
    password: "{{ master_password }}"
  register: live
  no_log: true

- name: Verify a restored database against the backup
  invoice.platform.pg_manifest:
    database_url: "{{ restored_url }}"
    password: "{{ master_password }}"
    compare: "{{ backup_manifest.database }}"
"""

RETURN = r"""
manifest:
  description: The manifest of the database.
  returned: always
  type: dict
  contains:
    postgresql_version:
      description: Server version (C(SHOW server_version)).
      type: str
      sample: "15.8"
    schema_hash:
      description: SHA-256 over the sorted column, index and constraint definitions.
      type: str
    row_hash:
      description: The per-row hash the table hashes sum (a table whose entry has its own C(row_hash) used that one).
      type: str
      sample: hash_record_extended
    tables:
      description:
        - Table name (schema-qualified outside C(public)) to C(rows), C(hash) and, when it is not the
          manifest's, C(row_hash).
      type: dict
      sample: {"invoices": {"rows": 12, "hash": "9f86d0..."}, "geo": {"rows": 3, "hash": "51c2...", "row_hash": "md5"}}
differences:
  description: With O(compare), one sentence per difference, naming the table.
  returned: always
  type: list
  elements: str
  sample: ["table invoices has 11 rows, the backup 12"]
target:
  description: The database read, as C(user@host:port/dbname) (no password).
  returned: always
  type: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.invoice.platform.plugins.module_utils._options import database_options
from ansible_collections.invoice.platform.plugins.module_utils.dr import (
    HAS_ASYNCPG,
    ConnectionSettingsError,
    compare_manifests,
    describe_target,
    parse_database_url,
    read_manifest,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **database_options(),
            compare=dict(type="dict"),
            fail_on_difference=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_ASYNCPG:
        module.fail_json(msg=missing_required_lib("asyncpg"))
    try:
        settings = parse_database_url(module.params["database_url"], module.params["password"])
    except ConnectionSettingsError as e:
        module.fail_json(msg=f"database_url: {e}")
    target = describe_target(settings)
    try:
        manifest = read_manifest(settings, like=module.params["compare"])
    except Exception as e:  # asyncpg and OS errors: name the target, never the password
        module.fail_json(msg=f"Cannot read {target}: {type(e).__name__}: {e}", exception=traceback.format_exc())
    differences = compare_manifests(module.params["compare"], manifest) if module.params["compare"] else []
    result = dict(changed=False, manifest=manifest, differences=differences, target=target)
    if differences and module.params["fail_on_difference"]:
        module.fail_json(msg=f"{target} differs from the backup: " + "; ".join(differences), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
