"""Server configuration, read from `ATTRIUM_*` environment variables (and `.env`)."""

from functools import lru_cache
from typing import Annotated, Any, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from attrium.dialects.mounts import DIALECT_PREFIXES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATTRIUM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./attrium.db",
        description="sqlite:///PATH or postgresql://user@host:port/db",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema to use (search_path); default public"
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        description="database connections a process may open, on demand (either backend)",
    )
    sqlite_synchronous: str = Field(
        default="FULL",
        pattern="^(OFF|NORMAL|FULL|EXTRA)$",
        description="SQLite PRAGMA synchronous; FULL survives power loss, NORMAL a crash",
    )
    host: str = Field(default="127.0.0.1", description="address `attrium serve` binds")
    port: int = Field(default=8000, description="port `attrium serve` binds")
    dialect_ports: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict,
        description="dialects `attrium serve` also serves at the root of a port of their "
        "own, as `name=port` pairs separated by commas (attentive=8101,customerio=8102)",
    )

    max_body_bytes: int = Field(default=1_048_576, ge=1, description="request body limit (413)")
    max_batch_bytes: int = Field(
        default=10 * 1024**2, ge=1, description="POST /v1/customers/batch body limit (413)"
    )
    max_json_depth: int = Field(default=32, ge=2, description="JSON nesting limit (400)")
    max_attributes: int = Field(
        default=100, ge=1, description="custom attributes per workspace (per-workspace setting)"
    )
    max_attributes_per_request: int = Field(
        default=1000, ge=1, description="attributes one request may write"
    )
    optimove_max_attributes: int = Field(
        default=40, ge=1, description="attributes the Optimove dialect may create (per workspace)"
    )
    customerio_allow_email_updates_by_id: bool = Field(
        default=False,
        description="Customer.io dialect: a person addressed by id may have their email "
        "changed (Customer.io's 'Allow updates to email using ID'; per workspace)",
    )
    max_attribute_name_chars: int = Field(default=200, ge=1, description="name length")
    max_string_bytes: int = Field(default=1000, ge=1, description="string value size in UTF-8")
    max_value_depth: int = Field(
        default=5, ge=1, le=20, description="nesting levels of an object or array value"
    )
    max_array_length: int = Field(
        default=100, ge=1, description="elements of an array value (and of arrays inside one)"
    )
    max_nested_value_bytes: int = Field(
        default=16384, ge=2, description="size of an object or array value as compact JSON"
    )
    max_identifier_bytes: int = Field(default=254, ge=1, description="identifier value size")
    max_import_bytes: int = Field(
        default=10 * 1024**3, ge=1, description="largest import upload (413 beyond)"
    )
    max_import_line_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="longest import line (CSV record); a longer one is skipped as a rejected row",
    )
    import_runner: bool = Field(default=True, description="apply queued imports in this process")
    import_batch_rows: int = Field(
        default=1000, ge=1, le=10_000, description="import rows applied per transaction"
    )
    import_chunk_bytes: int = Field(
        default=1_048_576, ge=1024, description="import upload stored in chunks of this size"
    )
    import_lease_seconds: float = Field(
        default=30.0, gt=0, description="an import runner silent this long is presumed dead"
    )
    import_upload_idle_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="an import upload that stored nothing for this long is failed (client gone)",
    )
    import_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often an idle runner looks for queued imports"
    )
    stats_compact_seconds: float = Field(
        default=2.0,
        ge=0,
        description="how often a process folds the catalog statistics' deltas (0: never)",
    )
    history_days: float | None = Field(
        default=None,
        gt=0,
        description="how many days of customer history to keep for as-of reads "
        "(unset: forever); older entries are pruned in the background",
    )
    history_prune_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="how often a process prunes history and takes due snapshots (0: never)",
    )
    history_snapshot_hours: float = Field(
        default=24.0,
        ge=0,
        description="how often each workspace's customers are snapshotted for segment "
        "reads as of a past instant (0: never)",
    )
    history_snapshot_days: float = Field(
        default=90.0,
        gt=0,
        description="how long snapshots are kept (older instants walk back from the "
        "oldest kept: slower, same answers)",
    )
    ui_session_hours: float = Field(
        default=8, gt=0, le=24 * 30, description="how long a web UI sign-in lasts"
    )
    default_page_size: int = Field(default=50, ge=1, le=1000, description="list page size")
    head_timeout_seconds: float = Field(
        default=10.0, gt=0, description="longest wait for a request's headers (408)"
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="longest wait for the next part of a request body (408)"
    )

    rate_limit_per_second: float = Field(
        default=100.0,
        ge=0,
        description="requests per second per API key on the native API and the dialects "
        "without a limit of their own; 0 turns this limit off",
    )
    rate_limit_burst: int = Field(default=200, ge=1, description="requests a key may burst")
    attentive_rate_limit_per_second: float = Field(
        default=150.0,
        ge=0,
        description="requests per second per key on the Attentive dialect (its own bucket); "
        "0 turns this limit off",
    )
    attentive_rate_limit_burst: int = Field(
        default=150, ge=1, description="requests a key may burst on the Attentive dialect"
    )
    optimove_rate_limit_per_second: float = Field(
        default=5.0,
        ge=0,
        description="requests per second per key on the Optimove dialect (its own bucket; "
        "Optimove documents 50 per 10 s); 0 turns this limit off",
    )
    optimove_rate_limit_burst: int = Field(
        default=50, ge=1, description="requests a key may burst on the Optimove dialect"
    )
    auth_failures_per_second: float = Field(
        default=1.0,
        ge=0,
        description="failed authentications (unknown API keys, on every route and the UI "
        "sign-in) per second refilled to a client address's budget; an address that spent "
        "it gets 429 for every key until it refills; 0 turns this budget off",
    )
    auth_failures_burst: int = Field(
        default=20, ge=1, description="failed authentications a client address may burst"
    )
    redis_url: str | None = Field(
        default=None, description="share rate limits between processes through this Redis"
    )
    log_level: str = Field(
        default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="JSON log level"
    )

    outbound_allow_private: bool = Field(
        default=False, description="let outbound calls reach private and loopback addresses"
    )
    outbound_allowed_networks: list[str] = Field(
        default_factory=list, description="CIDRs outbound calls may reach even if private"
    )
    outbound_timeout_seconds: float = Field(default=10.0, gt=0, description="per attempt")
    outbound_max_attempts: int = Field(default=3, ge=1, le=10, description="tries per call")

    @field_validator("dialect_ports", mode="before")
    @classmethod
    def _dialect_port_pairs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_dialect_ports(value.split(",") if value.strip() else [])
        if isinstance(value, list):  # `--dialect-port`, repeated
            return parse_dialect_ports(value)
        return value

    @field_validator("dialect_ports")
    @classmethod
    def _known_dialects_on_valid_ports(cls, ports: dict[str, int]) -> dict[str, int]:
        for name, port in ports.items():
            if name not in DIALECT_PREFIXES:
                known = ", ".join(DIALECT_PREFIXES)
                raise ValueError(f"unknown dialect {name!r} (known: {known})")
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} of {name!r} is not between 1 and 65535")
        return ports

    @model_validator(mode="after")
    def _dialect_ports_apart(self) -> Self:
        taken = {self.port: "the main port"}
        for name, port in self.dialect_ports.items():
            if port in taken:
                raise ValueError(f"dialect_ports: {name!r} asks for port {port}, {taken[port]}")
            taken[port] = f"the port of {name!r}"
        return self


def parse_dialect_ports(pairs: list[str]) -> dict[str, int]:
    """`name=port` pairs as a mapping; a malformed pair is a ValueError naming it."""
    ports: dict[str, int] = {}
    for pair in pairs:
        name, separator, port = pair.strip().partition("=")
        name = name.strip()
        if not separator or not name or not port.strip().isdigit():
            raise ValueError(f"{pair.strip()!r} is not name=port (such as attentive=8101)")
        if name in ports:
            raise ValueError(f"dialect {name!r} is given two ports")
        ports[name] = int(port)
    return ports


@lru_cache
def get_settings() -> Settings:
    return Settings()
