"""Wire models for keys."""

from datetime import datetime

from pydantic import BaseModel, Field

from attrium.auth.service import ApiKey
from attrium.core.schemas import InputModel


class KeyIn(InputModel):
    scopes: list[str] | None = Field(
        default=None,
        description="only scopes the creating key holds; default: every scope it holds",
    )
    label: str | None = Field(default=None, max_length=200)


class KeyOut(BaseModel):
    id: str
    label: str | None
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeyOut":
        return cls(
            id=key.key_id,
            label=key.label,
            scopes=list(key.scopes),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeyCreated(KeyOut):
    token: str = Field(description="shown once; store it now")


class KeyList(BaseModel):
    items: list[KeyOut]
