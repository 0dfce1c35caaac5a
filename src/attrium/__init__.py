"""Attrium: a self-hosted customer profile and custom-attribute store."""

__version__ = "0.1.0"
