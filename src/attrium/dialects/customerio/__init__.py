"""The Customer.io Track API dialect: routes in `api`, request parsing in `people`."""

from attrium.dialects.customerio.api import router

__all__ = ["router"]
