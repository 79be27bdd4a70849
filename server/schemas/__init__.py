"""Pydantic request and response models, one module per family.

Responses carrying big arrays are built as plain dicts and rendered by orjson (validating
a 100×100 map through pydantic on every frame would cost more than computing it); their
models here document the shape for `/docs`, and the tests check that real responses
validate against them.
"""
