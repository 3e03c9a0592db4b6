#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: pg_dump_s3
short_description: Stream a compressed pg_dump of a PostgreSQL database to S3 (multipart, SSE-KMS, SHA-256)
version_added: 0.2.0
description:
  - Runs C(pg_dump --format=custom) (one consistent snapshot of the database) and streams its
    output, compressed, straight into an S3 multipart upload, encrypted with SSE-KMS, hashing the
    stored bytes with SHA-256 on the way; nothing is written to local disk. The SHA-256, size and
    compression are stored as object tags (C(sha256), C(size), C(compression)) and returned; the
    compression is also the object's metadata (C(x-amz-meta-compression)).
  - The custom format is the one that streams, and C(pg_dump) writes it in one process. With
    O(compression=gzip) C(pg_dump) compresses it itself (zlib, O(compress_level)) on that one
    core, which is then the backup's bottleneck. With O(compression=zstd) C(pg_dump) writes it
    uncompressed (C(--compress=0)) and the module compresses the stream with multi-threaded
    zstd (O(zstd_level), O(zstd_threads)), in parallel on every core beside C(pg_dump); the
    object is then a zstd frame of the archive (key it C(.dump.zst)). By hand -
    C(zstd -d -c x.dump.zst | pg_restore ...). Either way M(invoice.platform.pg_restore_s3)
    restores it in parallel.
  - Idempotent by key - when the object already exists (with its C(sha256) tag) nothing is
    dumped and its recorded size, SHA-256 and compression are returned; one compressed otherwise
    than O(compression) asks for makes the module fail, naming both.
  - A failed or interrupted dump aborts the multipart upload, so no partial object is left.
  - The connection goes to C(pg_dump) through libpq environment variables (C(PGHOST),
    C(PGPASSWORD), ...), never its command line.
  - Check mode reads whether the object exists and dumps nothing.
author:
  - Invoice platform team (@invoice-platform)
options:
  bucket:
    description: Bucket to write the dump to.
    type: str
    required: true
  key:
    description: Object key of the dump.
    type: str
    required: true
  kms_key_id:
    description:
      - KMS key (id, ARN or alias) to encrypt the dump with; when unset S3 uses the bucket's or the
        AWS managed C(aws/s3) key (still SSE-KMS).
    type: str
  part_size_mb:
    description:
      - Size of each multipart part in MiB (at least 5). Up to three parts upload at once while the
        next one is read, so the module holds up to four parts in memory.
    type: int
    default: 16
  compression:
    description:
      - V(gzip) - C(pg_dump --compress=)O(compress_level) (zlib inside the archive, one core).
      - V(zstd) - C(pg_dump --compress=0) piped through multi-threaded zstd in the module
        (needs the python C(zstandard) library).
    type: str
    choices: [gzip, zstd]
    default: gzip
  compress_level:
    description: C(pg_dump --compress) level, 0 (none) to 9, with O(compression=gzip).
    type: int
    default: 6
    choices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  zstd_level:
    description: zstd level with O(compression=zstd), 1 (fastest) to 22; 3 is zstd's own default.
    type: int
    default: 3
  zstd_threads:
    description:
      - zstd worker threads with O(compression=zstd); V(0) is one per logical CPU (as C(zstd -T0)).
    type: int
    default: 0
  pg_dump_path:
    description:
      - Path of C(pg_dump). Default - the newest C(/usr/lib/postgresql/<major>/bin/pg_dump), else
        the one on C(PATH). It must be at least the server's major version.
    type: path
  tags:
    description: Extra tags of the dump object (on top of C(sha256) and C(size)).
    type: dict
    default: {}
  manifest:
    description:
      - Also return the manifest of the database (as M(invoice.platform.pg_manifest) reads it) for
        exactly the data in the dump - C(pg_dump --snapshot) runs on the snapshot of a
        repeatable-read transaction in which the manifest is then read. It is also stored beside
        the dump (O(key) + C(.manifest.json)) and returned from there when the dump already
        exists. In check mode the manifest is read as it is now.
    type: bool
    default: true
requirements:
  - pg_dump (PostgreSQL client)
  - asyncpg (for O(manifest))
  - zstandard (for O(compression=zstd))
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - invoice.platform.postgres
"""

EXAMPLES = r"""
- name: Dump the database to the backups bucket
  invoice.platform.pg_dump_s3:
    database_url: postgresql://invoice_admin@127.0.0.1:15432/invoices
    password: "{{ master_password }}"
    bucket: shop-prod-backups
    key: backups/shop-prod-db-20260101030000/invoices.dump
    kms_key_id: alias/shop-prod-storage
  no_log: false

- name: Dump it with multi-threaded zstd (pg_dump itself then only writes the archive)
  invoice.platform.pg_dump_s3:
    database_url: postgresql://invoice_admin@127.0.0.1:15432/invoices
    password: "{{ master_password }}"
    bucket: shop-prod-backups
    key: backups/shop-prod-db-20260101030000/invoices.dump.zst
    compression: zstd
"""

RETURN = r"""
bucket:
  description: The bucket.
  returned: always
  type: str
key:
  description: The object key.
  returned: always
  type: str
size:
  description: Size of the dump in bytes (0 in check mode when it would be dumped).
  returned: always
  type: int
sha256:
  description: SHA-256 of the dump as stored (empty in check mode when it would be dumped).
  returned: always
  type: str
compression:
  description:
    - How the stored dump is compressed, V(gzip) or V(zstd) (for an existing dump, as recorded; V(gzip) when not).
  returned: always
  type: str
version_id:
  description: Version id of the object.
  returned: always
  type: str
seconds:
  description: How long the dump took.
  returned: always
  type: float
mb_per_second:
  description: Throughput of the dump in MiB (of stored, compressed output) per second.
  returned: always
  type: float
manifest:
  description: The manifest of the dumped data (see O(manifest)); C(taken_at) is the dump's point in time (UTC).
  returned: when O(manifest) is true (for an existing dump, when its C(.manifest.json) exists)
  type: dict
target:
  description: The database dumped, as C(user@host:port/dbname) (no password).
  returned: always
  type: str
"""

import contextlib
import fcntl
import json
import subprocess
import threading
import time
import traceback

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.invoice.platform.plugins.module_utils._options import database_options
from ansible_collections.invoice.platform.plugins.module_utils.dr import (
    COMPRESSIONS,
    DEFAULT_COMPRESSION,
    HAS_ASYNCPG,
    HAS_ZSTANDARD,
    MIB,
    ConnectionSettingsError,
    describe_target,
    find_pg_binary,
    libpq_env,
    parse_database_url,
    read_manifest,
    stream_to_s3,
    with_exported_snapshot,
    zstd_compressed,
)

MANIFEST_SUFFIX = ".manifest.json"


def existing_dump(client, bucket, key):
    """The object's {size, sha256, compression, version_id}, or None when there is none (or it has no sha256 tag)."""
    try:
        head = client.head_object(Bucket=bucket, Key=key, aws_retry=True)
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound"]):
        return None
    tags = boto3_tag_list_to_ansible_dict(client.get_object_tagging(Bucket=bucket, Key=key, aws_retry=True)["TagSet"])
    if "sha256" not in tags:
        return None
    found = {
        "size": int(head["ContentLength"]),
        "sha256": tags["sha256"],
        "compression": tags.get("compression", DEFAULT_COMPRESSION),
        "version_id": head.get("VersionId") or "",
    }
    try:
        body = client.get_object(Bucket=bucket, Key=key + MANIFEST_SUFFIX, aws_retry=True)["Body"].read()
        found["manifest"] = json.loads(body)
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound"]):
        pass
    return found


def dump(module, client, settings, snapshot=None):
    params = module.params
    binary = find_pg_binary("pg_dump", params["pg_dump_path"])
    if not binary:
        module.fail_json(msg="pg_dump not found: install the PostgreSQL client or set pg_dump_path")
    compression = params["compression"]
    extra = {
        "ServerSideEncryption": "aws:kms",
        "ContentType": "application/zstd" if compression == "zstd" else "application/octet-stream",
        "Metadata": {"compression": compression},
    }
    if params["kms_key_id"]:
        extra["SSEKMSKeyId"] = params["kms_key_id"]
    level = params["compress_level"] if compression == "gzip" else 0
    argv = [binary, "--format=custom", f"--compress={level}", "--no-password"]
    if snapshot:
        argv.append(f"--snapshot={snapshot}")
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 (argv of pg_dump, no shell, no secret)
        argv, env=libpq_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    with contextlib.suppress(AttributeError, OSError):  # Linux: room for 1 MiB of dump while a part is cut
        fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, MIB)
    errors = []
    reader = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    reader.start()
    stream = proc.stdout
    if compression == "zstd":  # pg_dump's output, compressed by zstd's workers while this thread reads it
        stream = zstd_compressed(proc.stdout, params["zstd_level"], params["zstd_threads"])
    try:
        size, sha, version = stream_to_s3(
            client, stream, params["bucket"], params["key"], part_size=params["part_size_mb"] * MIB, extra=extra
        )
        rc = proc.wait()
        reader.join()
        if rc != 0:
            # The stream ended early: the upload completed with a truncated dump. Remove that
            # version so that no later run mistakes it for a backup.
            client.delete_object(Bucket=params["bucket"], Key=params["key"], VersionId=version, aws_retry=True)
            raise RuntimeError(f"pg_dump exited with {rc}: {b''.join(errors).decode(errors='replace').strip()}")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    seconds = time.monotonic() - started
    tags = dict(params["tags"], sha256=sha, size=str(size), compression=compression)
    client.put_object_tagging(
        Bucket=params["bucket"],
        Key=params["key"],
        VersionId=version,
        Tagging={"TagSet": ansible_dict_to_boto3_tag_list(tags)},
        aws_retry=True,
    )
    return {
        "size": size,
        "sha256": sha,
        "compression": compression,
        "version_id": version,
        "seconds": round(seconds, 3),
    }


def check_options(module):
    """Fail, naming the option, on what the argument spec cannot say."""
    params = module.params
    if params["manifest"] and not HAS_ASYNCPG:
        module.fail_json(msg=missing_required_lib("asyncpg"))
    if params["compression"] == "zstd" and not HAS_ZSTANDARD:
        module.fail_json(msg=missing_required_lib("zstandard (for compression=zstd)"))
    if params["part_size_mb"] < 5:
        module.fail_json(msg=f"part_size_mb must be at least 5 (S3's minimum part size), got {params['part_size_mb']}")
    if not 1 <= params["zstd_level"] <= 22:
        module.fail_json(msg=f"zstd_level must be 1 to 22, got {params['zstd_level']}")
    if params["zstd_threads"] < 0:
        module.fail_json(msg=f"zstd_threads must be 0 (one per CPU) or more, got {params['zstd_threads']}")


def main():
    argument_spec = dict(
        **database_options(),
        bucket=dict(type="str", required=True),
        key=dict(type="str", required=True, no_log=False),
        kms_key_id=dict(type="str", no_log=False),
        part_size_mb=dict(type="int", default=16),
        compression=dict(type="str", choices=list(COMPRESSIONS), default="gzip"),
        compress_level=dict(type="int", default=6, choices=list(range(10))),
        zstd_level=dict(type="int", default=3),
        zstd_threads=dict(type="int", default=0),
        pg_dump_path=dict(type="path"),
        tags=dict(type="dict", default={}),
        manifest=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_options(module)
    try:
        settings = parse_database_url(module.params["database_url"], module.params["password"])
    except ConnectionSettingsError as e:
        module.fail_json(msg=f"database_url: {e}")
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    bucket, key = module.params["bucket"], module.params["key"]
    result = dict(bucket=bucket, key=key, target=describe_target(settings), seconds=0.0, mb_per_second=0.0)
    try:
        found = existing_dump(client, bucket, key)
        if found and found["compression"] != module.params["compression"]:
            module.fail_json(
                msg=f"s3://{bucket}/{key} already holds a dump compressed with {found['compression']}, "
                f"not {module.params['compression']}: choose another key",
                **result,
            )
        if found:
            module.exit_json(changed=False, **result, **found)
        if module.check_mode:
            if module.params["manifest"]:
                result["manifest"] = read_manifest(settings)
            module.exit_json(
                changed=True, size=0, sha256="", version_id="", compression=module.params["compression"], **result
            )
        if module.params["manifest"]:
            done, result["manifest"] = with_exported_snapshot(
                settings, lambda snap: dump(module, client, settings, snap)
            )
        else:
            done = dump(module, client, settings)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to write s3://{bucket}/{key}")
    except RuntimeError as e:
        module.fail_json(msg=f"Dump of {result['target']} failed: {e}")
    except Exception as e:  # asyncpg and OS errors: name the target, never the password
        module.fail_json(
            msg=f"Cannot read {result['target']}: {type(e).__name__}: {e}", exception=traceback.format_exc()
        )
    rate = (done["size"] / MIB) / done["seconds"] if done["seconds"] else 0.0
    result.update(done, mb_per_second=round(rate, 2))
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
