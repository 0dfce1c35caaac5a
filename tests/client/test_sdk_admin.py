"""The SDK's workspace, key, subscription and object methods against the live server."""

import asyncio

import pytest

from attrium.client import (
    AsyncClient,
    Client,
    LimitExceeded,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from tests.support.workspaces import TestWorkspace


def sdk(workspace: TestWorkspace, token: str | None = None) -> Client:
    return Client(workspace.backend.base_url, token or workspace.token)


def test_workspace_settings_keys_and_health(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        attrium.check_health()
        attrium.check_ready()
        assert attrium.get_workspace().name == workspace.workspace.name
        changed = attrium.update_workspace_settings(max_attributes_per_request=1)
        assert changed.overrides == {"max_attributes_per_request": 1}
        with pytest.raises(LimitExceeded):
            attrium.put_customer("c1", attributes={"a": 1, "b": 2})
        assert attrium.update_workspace_settings(max_attributes_per_request=None).overrides == {}
        email_by_id = "customerio_allow_email_updates_by_id"
        assert attrium.get_workspace().settings[email_by_id] is False
        enabled = attrium.update_workspace_settings(**{email_by_id: True})
        assert enabled.settings[email_by_id] is True
        assert attrium.update_workspace_settings(**{email_by_id: None}).overrides == {}
        key = attrium.create_key(scopes=["attributes:read"], label="reader")
        assert key.token.startswith("atr_")
        assert key.id in {listed.id for listed in attrium.list_keys()}
        with sdk(workspace, key.token) as reader:
            assert list(reader.iter_customers()) == []
        attrium.revoke_key(key.id)
    with sdk(workspace, key.token) as revoked, pytest.raises(Unauthenticated):
        revoked.get_workspace()


def test_subscriptions(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        source = attrium.create_signup_source("site", "EMAIL", "MARKETING", locale="en-US")
        assert attrium.get_signup_source(source.id) == source
        assert attrium.list_signup_sources() == [source]
        topic = attrium.create_topic("news", description="weekly")
        assert attrium.get_topic(topic.id).name == "news"
        assert [found.id for found in attrium.list_topics()] == [topic.id]
        attrium.put_customer("c1", email="ada@example.com")
        state = attrium.put_subscriptions(
            "c1",
            subscriptions=[
                {"channel": "EMAIL", "type": "MARKETING", "signup_source_id": source.id}
            ],
            topics={topic.id: True},
        )
        assert [item.status for item in state.subscriptions] == ["subscribed"]
        assert state.effective_topics == {topic.id: True}
        assert attrium.put_subscriptions("c1", unsubscribed=True).unsubscribed is True
        assert attrium.get_subscriptions("email:ada@example.com").unsubscribed is True
        with pytest.raises(ValidationFailed) as refused:
            attrium.put_subscriptions("c1", subscriptions=[{"channel": "FAX", "type": "X"}])
        assert "subscriptions.0.channel" in refused.value.fields
        attrium.delete_topic(topic.id)
        attrium.delete_signup_source(source.id)
        with pytest.raises(NotFound):
            attrium.get_topic(topic.id)
        assert attrium.list_signup_sources() == []


def test_objects_and_relationships(workspace: TestWorkspace) -> None:
    with sdk(workspace) as attrium:
        companies = attrium.create_object_type("Companies")
        assert attrium.get_object_type(companies.id) == companies
        assert attrium.list_object_types() == [companies]
        for number in range(3):
            attrium.put_object(companies.id, f"acme-{number}", {"size": number})
        assert attrium.get_object(companies.id, "acme-1").attributes == {"size": 1}
        objects = attrium.iter_objects(companies.id, page_size=2)
        assert [found.object_id for found in objects] == ["acme-0", "acme-1", "acme-2"]
        attrium.put_customer("c1")
        related = attrium.change_relationships(
            "c1",
            add=[{"object_type_id": companies.id, "object_id": "acme-1", "attributes": {"r": 1}}],
        )
        assert [(link.object_id, link.attributes) for link in related] == [("acme-1", {"r": 1})]
        assert attrium.list_relationships("c1") == related
        [link] = attrium.list_object_relationships(companies.id, "acme-1")
        assert link.profile_id == related[0].profile_id
        delete = [{"object_type_id": companies.id, "object_id": "acme-1"}]
        assert attrium.change_relationships("c1", delete=delete) == []
        attrium.delete_object(companies.id, "acme-2")
        with pytest.raises(NotFound):
            attrium.get_object(companies.id, "acme-2")


def test_the_async_client_has_the_same_methods(workspace: TestWorkspace) -> None:
    async def scenario() -> None:
        async with AsyncClient(workspace.backend.base_url, workspace.token) as attrium:
            await attrium.check_ready()
            topic = await attrium.create_topic("news", subscribed_by_default=True)
            await attrium.put_customer("c1", attributes={"n": 1})
            state = await attrium.get_subscriptions("c1")
            assert state.effective_topics == {topic.id: True}
            segment = await attrium.create_segment("all", {"attribute": "n", "op": "exists"})
            assert await attrium.count_segment(segment.id) == 1
            exported = b"".join([chunk async for chunk in attrium.export_segment(segment.id)])
            assert b'"n":1' in exported
            assert [job async for job in attrium.iter_imports()] == []
            with pytest.raises(NotFound):
                await attrium.get_segment("nope")

    asyncio.run(scenario())
