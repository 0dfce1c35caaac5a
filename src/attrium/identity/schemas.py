"""Wire models for suppression and merging."""

from pydantic import BaseModel


class SuppressionOut(BaseModel):
    suppression_id: str
    profile_id: str | None
    identifiers: list[str]
