"""Devices: a customer's mobile devices (push tokens), listed on its profile."""
