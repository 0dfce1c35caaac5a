"""Customer ids and other path parameters holding reserved characters, through the SDK."""

import orjson
import pytest

from attrium.client import Client, NotFound
from tests.cli.test_remote_cli import attrium
from tests.support.workspaces import TestWorkspace

AWKWARD_IDS = ["a/b", "a?b=1", "a#b", "100%", "a b", "a%2Fb", "../x", "a+b", "é/ü"]


@pytest.mark.parametrize("customer_id", AWKWARD_IDS)
def test_a_customer_id_with_reserved_characters_round_trips(
    workspace: TestWorkspace, customer_id: str
) -> None:
    with Client(workspace.backend.base_url, workspace.token) as attrium:
        created = attrium.put_customer(customer_id, attributes={"plan": "pro"})
        assert created.id == customer_id
        assert attrium.get_customer(customer_id).profile_id == created.profile_id
        assert attrium.patch_attributes(customer_id, {"age": 3}) == {"plan": "pro", "age": 3}
        attrium.delete_customer_attribute(customer_id, "plan")
        assert attrium.get_customer(customer_id).attributes == {"age": 3}
        assert list(attrium.iter_activity(customer_id))
        attrium.delete_customer(customer_id)
        with pytest.raises(NotFound):
            attrium.get_customer(customer_id)


def test_sub_resources_of_a_customer_id_with_a_slash(workspace: TestWorkspace) -> None:
    with Client(workspace.backend.base_url, workspace.token) as attrium:
        attrium.put_customer("x", attributes={"n": 1})
        customer_id = "x/relationships"  # also the shape of a sub-resource of "x"
        attrium.put_customer(customer_id, attributes={"n": 2})
        assert attrium.get_customer(customer_id).attributes == {"n": 2}
        assert attrium.get_subscriptions(customer_id).unsubscribed is False
        assert attrium.put_subscriptions(customer_id, unsubscribed=True).unsubscribed is True
        companies = attrium.create_object_type("Companies")
        attrium.put_object(companies.id, "acme/eu", {"size": 1})
        assert attrium.get_object(companies.id, "acme/eu").attributes == {"size": 1}
        link = {"object_type_id": companies.id, "object_id": "acme/eu"}
        assert [r.object_id for r in attrium.change_relationships(customer_id, add=[link])] == [
            "acme/eu"
        ]
        assert [r.object_id for r in attrium.list_relationships(customer_id)] == ["acme/eu"]
        assert attrium.list_relationships("x") == []
        attrium.suppress_customer(customer_id)
        attrium.unsuppress_customer(customer_id)
        assert attrium.get_customer("x").attributes == {"n": 1}


def test_the_cli_addresses_a_customer_id_with_a_slash(workspace: TestWorkspace) -> None:
    put = attrium(workspace, "customers", "put", "shop/42", "plan=pro")
    assert put.returncode == 0, put.stderr
    got = attrium(workspace, "customers", "get", "shop/42", "--json")
    assert orjson.loads(got.stdout)["id"] == "shop/42"
    assert attrium(workspace, "customers", "delete", "shop/42").returncode == 0
