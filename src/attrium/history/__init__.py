"""History as a capability: customers and segments as they were at a past instant."""
