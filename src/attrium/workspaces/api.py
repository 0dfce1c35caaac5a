"""The workspace a key belongs to, and its settings (`/v1/workspace`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.core.settings import Settings
from attrium.workspaces import service
from attrium.workspaces.schemas import WorkspaceOut, WorkspaceSettingsIn

Anyone = Annotated[Actor, Depends(requires())]
WorkspaceAdmin = Annotated[Actor, Depends(requires(Scope.WORKSPACE_ADMIN))]

router = APIRouter(
    prefix="/v1/workspace", tags=["workspace"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


def _body(workspace: service.Workspace, settings: Settings) -> dict[str, Any]:
    return {
        "id": workspace.workspace_id,
        "name": workspace.name,
        "settings": {
            name: workspace.setting(name, settings) for name in service.ADJUSTABLE_SETTINGS
        },
        "overrides": workspace.overrides,
    }


@router.get("", response_model=WorkspaceOut)
async def get_workspace(settings: SettingsDep, actor: Anyone) -> Response:
    return JsonResponse(_body(actor.workspace, settings))


@router.patch("/settings", response_model=WorkspaceOut)
async def change_settings(
    body: WorkspaceSettingsIn, db: DatabaseDep, settings: SettingsDep, actor: WorkspaceAdmin
) -> Response:
    """Set per-workspace settings; null resets one to the server default."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    workspace = await service.update_settings(db, actor, changes)
    return JsonResponse(_body(workspace, settings))
