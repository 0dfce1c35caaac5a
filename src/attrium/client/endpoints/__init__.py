"""The native API's routes, one declaration each, by domain (see `attrium.client.methods`)."""
