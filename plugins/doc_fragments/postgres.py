# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The database connection options of module_utils/_options.py database_options(), as the
    # modules that connect to PostgreSQL (pg_dump_s3, pg_restore_s3, pg_manifest, import_data)
    # declare them. What the database is to a module, its description says.
    DOCUMENTATION = r"""
options:
  database_url:
    description:
      - PostgreSQL URL of the database, C(postgresql://user[:password]@host:port/dbname[?sslmode=require]).
    type: str
    required: true
  password:
    description: Password of the user of O(database_url) (wins over one in the URL).
    type: str
"""
