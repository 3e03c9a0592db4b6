"""Secrets Manager for the local endpoint: a secret scheduled for deletion answers as AWS does.

GetSecretValue of a secret in its recovery window answers InvalidRequestException "You can't
perform this operation on the secret because it was marked for deletion." (moto 5.2: "...
currently marked deleted."). amazon.aws's secretsmanager_secret lookup recognises AWS's words
(``on_deleted``); the database role reads the master secret that way when a teardown scheduled
its deletion and the rebuild restores it.
"""

from __future__ import annotations

from typing import Any

AWS_MESSAGE = "You can't perform this operation on the secret because it was marked for deletion."


def register() -> None:
    from moto.secretsmanager.exceptions import InvalidRequestException  # noqa: PLC0415
    from moto.secretsmanager.models import SecretsManagerBackend  # noqa: PLC0415

    original = SecretsManagerBackend.get_secret_value

    def get_secret_value(self: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, secret_id, *args, **kwargs)
        except InvalidRequestException as error:
            if "marked deleted" not in str(error.message):
                raise
            raise InvalidRequestException(AWS_MESSAGE) from error

    SecretsManagerBackend.get_secret_value = get_secret_value  # type: ignore[method-assign]
