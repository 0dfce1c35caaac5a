"""Native device routes, under a customer (`/v1/customers/{customer_id}/devices`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from attrium.auth.actor import Actor
from attrium.auth.api import requires
from attrium.auth.scopes import Scope
from attrium.core.deps import DatabaseDep, SettingsDep
from attrium.core.http import JsonRoute
from attrium.core.jsonio import JsonResponse
from attrium.core.schemas import PROBLEM_RESPONSES
from attrium.customers import service as customers
from attrium.customers.identity import parse_ref
from attrium.devices import service
from attrium.devices.schemas import DeviceIn, DeviceList, DeviceOut

Reader = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_READ))]
Writer = Annotated[Actor, Depends(requires(Scope.ATTRIBUTES_WRITE))]

router = APIRouter(
    prefix="/v1/customers", tags=["devices"], route_class=JsonRoute, responses=PROBLEM_RESPONSES
)


@router.get("/{customer_id}/devices", response_model=DeviceList)
async def list_devices(
    customer_id: str, db: DatabaseDep, settings: SettingsDep, actor: Reader
) -> Response:
    """The customer's devices, in id order."""
    customer = await customers.get(db, actor, parse_ref(customer_id, settings.max_identifier_bytes))
    return JsonResponse({"items": await service.devices_of(db, actor, customer.profile_id)})


@router.put(
    "/{customer_id}/devices/{device_id}",
    response_model=DeviceOut,
    responses={201: {"model": DeviceOut, "description": "added"}},
)
async def put_device(
    customer_id: str,
    device_id: str,
    body: DeviceIn,
    db: DatabaseDep,
    settings: SettingsDep,
    actor: Writer,
) -> Response:
    """Add a device to the customer, or update its device of that id."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    device, added = await service.put(db, actor, ref, body.to_input(device_id))
    return JsonResponse(device, status_code=201 if added else 200)


@router.delete("/{customer_id}/devices/{device_id}", status_code=204)
async def delete_device(
    customer_id: str, device_id: str, db: DatabaseDep, settings: SettingsDep, actor: Writer
) -> Response:
    """Remove the customer's device."""
    ref = parse_ref(customer_id, settings.max_identifier_bytes)
    await service.remove(db, actor, ref, device_id)
    return Response(status_code=204)
