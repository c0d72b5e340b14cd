"""XML Schemas of the inbound formats, shipped as package data and read through importlib.resources."""
