"""The Optimove dialect, driven with the vendor's documented requests."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy

from attrium.activity.store import activity
from attrium.attributes import service as catalog
from attrium.attributes import store as catalog_store
from attrium.attributes.models import CUSTOMER_NAMESPACE, AttributeLimits, DefinitionInput
from attrium.attributes.values import AttributeType
from attrium.core.clock import utcnow
from attrium.dialects import optimove as optimove_dialect
from tests.support.workspaces import TestWorkspace

PREFIX = "/compat/optimove"


def optimove_client(workspace: TestWorkspace, token: str | None = None) -> httpx.Client:
    headers = {"X-API-KEY": token or workspace.token, "Content-Type": "application/json"}
    return httpx.Client(base_url=workspace.backend.base_url + PREFIX, headers=headers, timeout=30)


@pytest.fixture
def optimove(workspace: TestWorkspace) -> Iterator[httpx.Client]:
    with optimove_client(workspace) as client:
        yield client


def add_attribute(optimove: httpx.Client, name: str, column_type: str, **extra: Any) -> Any:
    body = {"Name": name, "Type": column_type, **extra}
    response = optimove.post("/Customers/AddCustomerAttribute", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def update(optimove: httpx.Client, *customers: tuple[Any, dict[str, Any]]) -> Any:
    body = {
        "CustomerNewAttributesValuesList": [
            {
                "CustomerID": customer_id,
                "Attributes": [
                    {"RealFieldName": name, "Value": value} for name, value in values.items()
                ],
            }
            for customer_id, values in customers
        ]
    }
    response = optimove.post("/Customers/UpdateCustomerAttributes", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def upsert(optimove: httpx.Client, customer_id: Any, values: dict[str, Any]) -> Any:
    body = {
        "CustomerId": customer_id,
        "Attributes": [{"RealFieldName": name, "Value": value} for name, value in values.items()],
    }
    response = optimove.put("/Customers/UpsertCustomer", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def attributes_of(optimove: httpx.Client, customer_id: str) -> dict[str, Any]:
    response = optimove.get("/Customers/GetCustomerAttributes", params={"CustomerID": customer_id})
    assert response.status_code == 200, response.text
    return {item["RealFieldName"]: item["Value"] for item in response.json()["Attributes"]}


def listed(optimove: httpx.Client) -> dict[str, dict[str, Any]]:
    response = optimove.get("/Customers/GetCustomerAttributeList")
    assert response.status_code == 200, response.text
    return {item["RealFieldName"]: item for item in response.json()}


def assert_optimove_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["error"]
    assert body["message"]
    return body


# Add a New Customer Attribute


@pytest.mark.parametrize(
    ("column_type", "listed_type", "value", "stored"),
    [
        ("DECIMAL(19,4)", "DECIMAL(19,4)", "12.5", 12.5),
        ("INT", "DECIMAL(19,4)", "42", 42),
        ("BIGINT", "DECIMAL(19,4)", 9007199254740991, 9007199254740991),
        ("DATE", "DATE", "2024-05-01", "2024-05-01T00:00:00Z"),
        ("VARCHAR(10)", "NVARCHAR(10)", "Gold", "Gold"),
        ("nvarchar(20)", "NVARCHAR(20)", "Ünïcode", "Ünïcode"),
    ],
)
def test_each_documented_type_maps_onto_the_catalog(
    optimove: httpx.Client, column_type: str, listed_type: str, value: Any, stored: Any
) -> None:
    assert add_attribute(optimove, "Tier", column_type) == {
        "attributeName": "Tier",
        "isSuccess": True,
    }
    assert listed(optimove)["Tier"]["Type"] == listed_type
    assert upsert(optimove, "c1", {"Tier": value})["isSuccess"] is True
    assert attributes_of(optimove, "c1") == {"Tier": stored}


def test_seed_sample_request_with_a_default_for_every_customer(
    workspace: TestWorkspace, optimove: httpx.Client
) -> None:
    upsert(optimove, "0192837821", {})
    outcome = add_attribute(
        optimove, "VIP_Level", "VARCHAR(10)", DefaultValue="Bronze", CallbackURL=None
    )
    assert outcome == {"attributeName": "VIP_Level", "isSuccess": True}
    assert attributes_of(optimove, "0192837821") == {"VIP_Level": "Bronze"}
    update(optimove, ("0192837821", {"VIP_Level": "Gold"}))
    assert attributes_of(optimove, "0192837821") == {"VIP_Level": "Gold"}
    upsert(optimove, "new-customer", {})
    assert attributes_of(optimove, "new-customer") == {"VIP_Level": "Bronze"}
    with workspace.client() as api:
        assert api.get("/v1/customers/new-customer").json()["attributes"] == {"VIP_Level": "Bronze"}


def test_added_attributes_are_listed_with_an_api_source(optimove: httpx.Client) -> None:
    add_attribute(optimove, "LoyaltyScore", "INT", DefaultValue=0)
    entry = listed(optimove)["LoyaltyScore"]
    assert entry["Source"] == "API"
    assert entry["DefaultValue"] == 0
    assert entry["IsRealTime"] is False


def test_error_1_over_the_attribute_limit(workspace: TestWorkspace, optimove: httpx.Client) -> None:
    for number in range(40):
        assert add_attribute(optimove, f"A{number}", "INT")["isSuccess"] is True
    over = add_attribute(optimove, "A40", "INT")
    assert over["isSuccess"] is False
    assert over["errorId"] == "1"
    assert "40" in over["errorMsg"]
    with workspace.client() as api:
        changed = api.patch("/v1/workspace/settings", json={"optimove_max_attributes": 41})
        assert changed.status_code == 200, changed.text
    assert add_attribute(optimove, "A40", "INT")["isSuccess"] is True


def test_batch_created_attributes_do_not_count_against_the_limit(
    workspace: TestWorkspace, optimove: httpx.Client
) -> None:
    with workspace.client() as api:
        api.patch("/v1/workspace/settings", json={"optimove_max_attributes": 1})
    define_as_batch(workspace, "FromBatch")
    assert add_attribute(optimove, "FromApi", "INT")["isSuccess"] is True
    assert add_attribute(optimove, "OneTooMany", "INT")["errorId"] == "1"


def test_error_2_the_name_exists(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "INT")
    again = add_attribute(optimove, "Tier", "DATE")
    assert again == {
        "attributeName": "Tier",
        "isSuccess": False,
        "errorId": "2",
        "errorMsg": "Attribute was not added, Specified RealFieldName already exists.",
    }


@pytest.mark.parametrize("column_type", ["TEXT", "VARCHAR", "VARCHAR(0)", "DECIMAL(10,2)", ""])
def test_error_3_a_type_that_is_not_documented(optimove: httpx.Client, column_type: str) -> None:
    outcome = add_attribute(optimove, "Tier", column_type)
    assert outcome["errorId"] == "3"
    assert "Tier" not in listed(optimove)


@pytest.mark.parametrize(
    ("column_type", "default"), [("INT", "abc"), ("DATE", "soon"), ("VARCHAR(3)", "Bronze")]
)
def test_error_4_a_default_that_does_not_fit(
    optimove: httpx.Client, column_type: str, default: str
) -> None:
    outcome = add_attribute(optimove, "Tier", column_type, DefaultValue=default)
    assert outcome["errorId"] == "4"
    assert "Tier" not in listed(optimove)


@pytest.mark.parametrize("name", ["", "x" * 201, "bad\u0001name"])
def test_error_5_anything_else(optimove: httpx.Client, name: str) -> None:
    outcome = add_attribute(optimove, name, "INT")
    assert outcome["isSuccess"] is False
    assert outcome["errorId"] == "5"


def test_only_api_admin_keys_create_attributes(workspace: TestWorkspace) -> None:
    writer_key = workspace.key(["attributes:read", "attributes:write"])
    with optimove_client(workspace, writer_key) as writer:
        response = writer.post(
            "/Customers/AddCustomerAttribute", json={"Name": "Tier", "Type": "INT"}
        )
        assert_optimove_error(response, 403)
        assert "Tier" not in listed(writer)


# Update Attribute Values


def test_values_overwrite_and_the_rest_applies_past_refused_ones(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "VARCHAR(6)")
    add_attribute(optimove, "Score", "INT")
    upsert(optimove, "c1", {"Tier": "Bronze"})
    upsert(optimove, "c2", {})
    outcome = update(
        optimove,
        ("c1", {"Tier": "Gold", "Score": "many", "Unknown": "x"}),
        ("nobody", {"Tier": "Gold"}),
        ("c2", {"Tier": "Platinum", "Score": 7}),
    )
    assert outcome["isSuccess"] is False
    assert outcome["requestId"]
    assert sorted(outcome["errors"], key=lambda e: (e["customerId"], e["realFieldName"])) == [
        {"error": "INVALID_VALUE", "customerId": "c1", "realFieldName": "Score"},
        {"error": "INVALID_FIELD", "customerId": "c1", "realFieldName": "Unknown"},
        {"error": "INVALID_VALUE", "customerId": "c2", "realFieldName": "Tier"},
        {"error": "INVALID_CUSTOMER", "customerId": "nobody", "realFieldName": "Tier"},
    ]
    assert attributes_of(optimove, "c1") == {"Tier": "Gold"}
    assert attributes_of(optimove, "c2") == {"Score": 7}


def test_a_clean_update_succeeds(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "VARCHAR(10)")
    upsert(optimove, 1289049, {})
    outcome = update(optimove, (1289049, {"Tier": "Gold"}))
    assert set(outcome) == {"isSuccess", "requestId"}
    assert outcome["isSuccess"] is True
    assert attributes_of(optimove, "1289049") == {"Tier": "Gold"}


def test_null_clears_a_value_back_to_the_default(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "VARCHAR(10)", DefaultValue="Bronze")
    upsert(optimove, "c1", {"Tier": "Gold"})
    update(optimove, ("c1", {"Tier": None}))
    assert attributes_of(optimove, "c1") == {"Tier": "Bronze"}


def test_at_most_1000_customers_per_call(optimove: httpx.Client) -> None:
    entries = [{"CustomerID": str(n), "Attributes": []} for n in range(1001)]
    response = optimove.post(
        "/Customers/UpdateCustomerAttributes", json={"CustomerNewAttributesValuesList": entries}
    )
    assert "CustomerNewAttributesValuesList" in assert_optimove_error(response, 400)["message"]


def test_at_most_10_attributes_per_customer(optimove: httpx.Client) -> None:
    values = [{"RealFieldName": f"A{n}", "Value": "1"} for n in range(11)]
    response = optimove.post(
        "/Customers/UpdateCustomerAttributes",
        json={"CustomerNewAttributesValuesList": [{"CustomerID": "c1", "Attributes": values}]},
    )
    assert "Attributes" in assert_optimove_error(response, 400)["message"]


def test_updates_never_create_customers_or_attributes(optimove: httpx.Client) -> None:
    outcome = update(optimove, ("ghost", {"Anything": "x"}))
    assert outcome["errors"] == [
        {"error": "INVALID_FIELD", "customerId": "ghost", "realFieldName": "Anything"}
    ]
    assert listed(optimove) == {}
    assert_optimove_error(
        optimove.get("/Customers/GetCustomerAttributes", params={"CustomerID": "ghost"}), 404
    )


def test_upsert_creates_then_updates(workspace: TestWorkspace, optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "VARCHAR(10)")
    assert upsert(optimove, "c9", {"Tier": "Bronze"})["isSuccess"] is True
    assert upsert(optimove, "c9", {"Tier": "Gold", "Nope": "x"})["errors"] == [
        {"error": "INVALID_FIELD", "customerId": "c9", "realFieldName": "Nope"}
    ]
    assert attributes_of(optimove, "c9") == {"Tier": "Gold"}
    with workspace.client() as api:
        items = api.get("/v1/customers/c9/activity").json()["items"]
    assert {item["source"] for item in items} == {"optimove"}


# Get Customer Attributes / the attribute list


def test_one_customers_full_set_or_the_named_ones(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "VARCHAR(10)", DefaultValue="Bronze")
    add_attribute(optimove, "Score", "INT")
    upsert(optimove, "c1", {"Score": 3})
    response = optimove.get("/current/customers/GetCustomerAttributes?CustomerID=c1")
    assert response.json() == {
        "CustomerID": "c1",
        "Attributes": [
            {"RealFieldName": "Score", "Value": 3},
            {"RealFieldName": "Tier", "Value": "Bronze"},
        ],
    }
    only = optimove.get(
        "/Customers/GetCustomerAttributes",
        params={"CustomerID": "c1", "CustomerAttributes": "Tier"},
    )
    assert only.json()["Attributes"] == [{"RealFieldName": "Tier", "Value": "Bronze"}]


def define_as_batch(workspace: TestWorkspace, name: str) -> None:
    importer = workspace.actor.with_source("import")
    definition = DefinitionInput(name=name, type=AttributeType.STRING)
    workspace.backend.run(
        catalog.define_attribute(workspace.backend.db, importer, definition, AttributeLimits())
    )


def age_api_write(workspace: TestWorkspace, name: str, days: int) -> None:
    async def age() -> None:
        async with workspace.backend.db.transaction() as connection:
            await catalog_store.touch_api_write(
                connection,
                workspace.workspace.workspace_id,
                CUSTOMER_NAMESPACE,
                [name],
                utcnow() - timedelta(days=days),
                utcnow() + timedelta(days=1),
            )

    workspace.backend.run(age())


def test_source_and_freshness_of_the_seed(workspace: TestWorkspace, optimove: httpx.Client) -> None:
    for name in ("Red", "Orange", "Stale"):
        add_attribute(optimove, name, "VARCHAR(10)")
    define_as_batch(workspace, "Green")
    define_as_batch(workspace, "Batch")
    upsert(optimove, "c1", {"Red": "x", "Green": "y", "Stale": "z"})
    age_api_write(workspace, "Stale", days=31)
    entries = listed(optimove)
    observed = {
        name: (entry["Source"], entry["IsRealTime"], entry["Freshness"])
        for name, entry in entries.items()
    }
    assert observed == {
        "Red": ("API", True, "Red"),
        "Green": ("Batch", True, "Green"),
        "Orange": ("API", False, "Orange"),
        "Stale": ("API", True, "Orange"),
        "Batch": ("Batch", False, None),
    }


def test_the_list_answers_under_every_documented_path(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Tier", "INT")
    for path in (
        "/Customers/GetCustomerAttributeList",
        "/current/customers/GetCustomerAttributeList",
        "/current/model/GetCustomerAttributeList",
    ):
        assert [item["RealFieldName"] for item in optimove.get(path).json()] == ["Tier"]


# Authentication and errors


@pytest.mark.parametrize("headers", [{}, {"X-API-KEY": "wrong"}], ids=["missing", "unknown"])
def test_a_bad_key_is_401(workspace: TestWorkspace, headers: dict[str, str]) -> None:
    url = f"{workspace.backend.base_url}{PREFIX}/Customers/GetCustomerAttributeList"
    assert_optimove_error(httpx.get(url, headers=headers), 401)


def test_a_bearer_key_is_not_the_optimove_way(workspace: TestWorkspace) -> None:
    url = f"{workspace.backend.base_url}{PREFIX}/Customers/GetCustomerAttributeList"
    response = httpx.get(url, headers={"Authorization": f"Bearer {workspace.token}"})
    assert "X-API-KEY" in assert_optimove_error(response, 401)["message"]


@pytest.mark.parametrize(
    "content", [b"{not json", b"[]", b'{"Name": "Tier"}', b'{"Name": 5, "Type": "INT"}']
)
def test_malformed_requests_are_400(optimove: httpx.Client, content: bytes) -> None:
    assert_optimove_error(optimove.post("/Customers/AddCustomerAttribute", content=content), 400)


# Customer Attribute Changers


def changers(optimove: httpx.Client, **params: str) -> httpx.Response:
    return optimove.get("/current/customers/GetCustomerAttributeChangers", params=params)


def age_activity(workspace: TestWorkspace, days: int) -> None:
    """Move every activity entry of the workspace `days` into the past."""

    async def age() -> None:
        async with workspace.backend.db.transaction() as connection:
            await connection.execute(
                sqlalchemy.update(activity)
                .where(activity.c.workspace_id == workspace.workspace.workspace_id)
                .values(created_at=utcnow() - timedelta(days=days))
            )

    workspace.backend.run(age())


def test_changers_of_the_last_day_with_before_and_after(
    workspace: TestWorkspace, optimove: httpx.Client
) -> None:
    add_attribute(optimove, "Brand", "NVARCHAR(30)")
    add_attribute(optimove, "Country", "VARCHAR(2)")
    upsert(optimove, "91343", {"Brand": "SuperBrand", "Country": "DE"})
    upsert(optimove, "91344", {"Brand": "Same"})
    upsert(optimove, "91346", {"Brand": "Old"})
    age_activity(workspace, days=2)
    upsert(optimove, "91342", {"Brand": "SuperBrand", "Country": "UK"})
    update(optimove, ("91343", {"Brand": "Super Brand, Mega Brand"}))
    update(optimove, ("91344", {"Brand": "Other"}))
    update(optimove, ("91344", {"Brand": "Same"}))
    upsert(optimove, "91345", {"Country": "PT"})
    response = changers(
        optimove, ChangedCustomerAttribute="Brand", CustomerAttributes="Country;Brand"
    )
    assert response.status_code == 200, response.text
    observed = sorted(response.json(), key=lambda changer: changer["CustomerID"])
    assert observed == [
        {
            "CustomerID": "91342",
            "InitialCustomerAttribute": None,
            "FinalCustomerAttribute": "SuperBrand",
            "CustomerAttributes": ["UK", "SuperBrand"],
        },
        {
            "CustomerID": "91343",
            "InitialCustomerAttribute": "SuperBrand",
            "FinalCustomerAttribute": "Super Brand, Mega Brand",
            "CustomerAttributes": ["DE", "Super Brand, Mega Brand"],
        },
    ]


def test_changers_without_extra_attributes(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Brand", "NVARCHAR(30)")
    upsert(optimove, "c1", {"Brand": "A"})
    response = optimove.get(
        "/Customers/GetCustomerAttributeChangers", params={"ChangedCustomerAttribute": "Brand"}
    )
    assert response.json() == [
        {
            "CustomerID": "c1",
            "InitialCustomerAttribute": None,
            "FinalCustomerAttribute": "A",
            "CustomerAttributes": [],
        }
    ]


def test_changers_name_one_known_attribute(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Brand", "NVARCHAR(30)")
    assert_optimove_error(changers(optimove, ChangedCustomerAttribute="Brand;Country"), 400)
    assert_optimove_error(changers(optimove, ChangedCustomerAttribute="Nope"), 404)
    assert_optimove_error(changers(optimove), 400)


def _six_changers_and_one_back(workspace: TestWorkspace, optimove: httpx.Client) -> list[str]:
    """Customers c1…c7 (in creation order), all but c3 with a changed Brand."""
    add_attribute(optimove, "Brand", "NVARCHAR(30)")
    ids = [f"c{number}" for number in range(1, 8)]
    for customer_id in ids:
        upsert(optimove, customer_id, {"Brand": "Old"})
    age_activity(workspace, days=2)
    update(optimove, *[(customer_id, {"Brand": f"New {customer_id}"}) for customer_id in ids])
    update(optimove, ("c3", {"Brand": "Old"}))
    return [customer_id for customer_id in ids if customer_id != "c3"]


def test_changers_page_with_top_and_skip(workspace: TestWorkspace, optimove: httpx.Client) -> None:
    changed = _six_changers_and_one_back(workspace, optimove)
    pages = []
    for skip in range(0, 8, 2):
        response = changers(
            optimove, ChangedCustomerAttribute="Brand", **{"$top": "2", "$skip": str(skip)}
        )
        assert response.status_code == 200, response.text
        pages.append([changer["CustomerID"] for changer in response.json()])
    assert pages == [changed[0:2], changed[2:4], changed[4:6], []]
    everything = changers(optimove, ChangedCustomerAttribute="Brand").json()
    assert [changer["CustomerID"] for changer in everything] == changed
    assert everything[0]["FinalCustomerAttribute"] == "New c1"


def test_changers_paging_parameters_are_bounded(optimove: httpx.Client) -> None:
    add_attribute(optimove, "Brand", "NVARCHAR(30)")
    for bad in ({"$top": "0"}, {"$top": "10001"}, {"$skip": "-1"}, {"$top": "many"}):
        body = assert_optimove_error(
            changers(optimove, ChangedCustomerAttribute="Brand", **bad), 400
        )
        assert next(iter(bad)) in body["message"]


def test_changers_read_their_customers_together(
    workspace: TestWorkspace, optimove: httpx.Client
) -> None:
    """The statements run do not grow with the number of changers listed."""
    _six_changers_and_one_back(workspace, optimove)
    db, actor = workspace.backend.db, workspace.actor
    statements: list[str] = []

    def count(*arguments: Any) -> None:
        # The live server's engine is shared with its background job runner: keep only
        # the reads of customers and activity, which this call makes.
        if any(table in arguments[2] for table in ("customers", "activity")):
            statements.append(arguments[2])

    sqlalchemy.event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        counts = []
        for top in (1, 6):
            statements.clear()
            found = workspace.backend.run(
                optimove_dialect.attribute_changers(db, actor, "Brand", ["Brand"], 0, top)
            )
            assert len(found) == top
            counts.append(len(statements))
    finally:
        sqlalchemy.event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert counts[0] == counts[1], statements


def test_a_refused_customer_without_values_is_not_a_success(optimove: httpx.Client) -> None:
    """An id no rule accepts (too long) creates nothing, and says so even with no values."""
    too_long = "c" * 300
    outcome = upsert(optimove, too_long, {})
    assert outcome["isSuccess"] is False
    assert outcome["errors"] == [
        {"error": "INVALID_CUSTOMER", "customerId": too_long, "realFieldName": None}
    ]
    refused = update(optimove, ("nobody", {}))
    assert refused["isSuccess"] is True  # no values to overwrite: nothing was refused
