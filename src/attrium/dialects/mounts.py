"""Where each dialect is served: its prefix, its vendor's paths at the root, its own port.

Some official clients ignore the path of the base URL they are given: customerio-ruby
always sends `/api/v1/customers/{id}`, and invisible-collector-ruby's absolute paths
make Faraday drop the base URL's path (`/customers`). Those two dialects therefore
also answer at their vendors' own paths at the root of the main port (neither
collides with `/v1`, `/ui` or the health routes). Any dialect may also have a port of
its own (`--dialect-port`), where it is served at the root and nothing else is.

Kept free of imports: the settings check dialect names against it.
"""

# dialect name (as `--dialect-port` and ATTRIUM_DIALECT_PORTS spell it) -> its prefix
DIALECT_PREFIXES: dict[str, str] = {
    "attentive": "/compat/attentive",
    "customerio": "/compat/customerio",
    "invisible-collector": "/compat/invisible-collector",
    "optimove": "/compat/optimove",
}

# vendor path at the root of the main port -> the dialect that serves it
ROOT_PATHS: dict[str, str] = {
    "/api/v1": "customerio",
    "/customers": "invisible-collector",
}
