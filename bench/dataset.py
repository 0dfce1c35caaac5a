"""The bulk data set: customers with ten attributes each, the same bytes for every contender."""

import csv
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PLANS = ("free", "pro", "enterprise")
COUNTRIES = ("FR", "DE", "GB", "US", "ES", "IT", "NL", "BE", "PT", "PL")
CITIES = ("Paris", "Lyon", "Berlin", "London", "Madrid", "Rome", "Lisbon", "Warsaw")
TIERS = ("bronze", "silver", "gold")
SOURCES = ("ads", "search", "referral", "partner")

# The segment the benchmark counts: two equalities and one range.
SEGMENT_PREDICATE = {
    "all": [
        {"attribute": "plan", "op": "eq", "value": "pro"},
        {"attribute": "country", "op": "eq", "value": "FR"},
        {"attribute": "age", "op": "gte", "value": 30},
    ]
}
ATTRIBUTE_TYPES = {
    "plan": "string",
    "country": "string",
    "age": "number",
    "score": "number",
    "active": "boolean",
    "visits": "number",
    "city": "string",
    "tier": "string",
    "ltv": "number",
    "signup_source": "string",
}


def attributes(rng: random.Random) -> dict[str, Any]:
    return {
        "plan": rng.choice(PLANS),
        "country": rng.choice(COUNTRIES),
        "age": rng.randint(18, 90),
        "score": round(rng.random() * 100, 2),
        "active": rng.random() < 0.7,
        "visits": rng.randint(0, 500),
        "city": rng.choice(CITIES),
        "tier": rng.choice(TIERS),
        "ltv": round(rng.random() * 5000, 2),
        "signup_source": rng.choice(SOURCES),
    }


def external_id(number: int) -> str:
    return f"i{number}"


def rows(count: int) -> Iterator[tuple[int, dict[str, Any]]]:
    rng = random.Random(8)
    for number in range(1, count + 1):
        yield number, attributes(rng)


def write_files(folder: Path, count: int) -> tuple[Path, Path]:
    """The NDJSON upload for Attrium and the CSV of the same rows for COPY."""
    ndjson_path = folder / f"import-{count}.ndjson"
    csv_path = folder / f"import-{count}.csv"
    if ndjson_path.exists() and csv_path.exists():
        return ndjson_path, csv_path
    now = datetime.now(UTC).isoformat()
    with ndjson_path.open("w") as ndjson, csv_path.open("w", newline="") as table:
        writer = csv.writer(table)
        for number, values in rows(count):
            ndjson.write(json.dumps({"id": external_id(number), "attributes": values}) + "\n")
            writer.writerow(
                [
                    "bench-copy",
                    f"copy{number:012d}",
                    external_id(number),
                    json.dumps(values),
                    now,
                    now,
                ]
            )
    return ndjson_path, csv_path
