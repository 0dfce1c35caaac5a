"""The web UI at `/ui`: server-rendered pages over the same services as the API."""
