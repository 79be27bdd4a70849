"""Shapes shared by every family: typed arrays and errors."""

from pydantic import BaseModel, ConfigDict, Field


class TypedArray(BaseModel):
    """A NumPy array as a Plotly.js typed-array spec, readable by `Plotly.react` directly.

    Decode in Python with
    `np.frombuffer(base64.b64decode(a["bdata"]), dtype=a["dtype"].replace("f", "<f")...)`
    or simply `server.encoding.decode_typed_array(a)`; in JavaScript Plotly.js takes it as
    is for `x`, `y`, `z` of any trace.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"dtype": "f4", "bdata": "AACAPwAAAEA=", "shape": "2"}]}
    )

    dtype: str = Field(
        description="Element type, Plotly.js short code: f8, f4, i4, u4, i2, u2, i1 or u1.",
        examples=["f4"],
    )
    bdata: str = Field(
        description="The little-endian row-major buffer, base64-encoded.", examples=["AACAPw=="]
    )
    shape: str = Field(
        description='Dimensions as a comma-separated string ("8,100,100"); "" for a scalar.',
        examples=["100,100"],
    )
    range: list[float] | None = Field(
        default=None,
        description="Only on quantised maps (dtype u1): [low, high] such that a stored byte "
        "q means low + (high − low)·q/255.",
        examples=[[0.0, 1.0]],
    )


class Problem(BaseModel):
    """Every 4xx answer: one sentence naming the field and what is allowed."""

    detail: str = Field(
        description="What is wrong and what to change.",
        examples=["train.learning_rate must be between 1e-05 and 10 (got 50)"],
    )
    field: str | None = Field(
        default=None,
        description="The dotted name of the offending field, if one field is to blame.",
        examples=["train.learning_rate"],
    )
    errors: list[dict[str, str | None]] = Field(
        default_factory=list,
        description="Every problem found, each as {field, message}, when there are several.",
    )


ERRORS = {
    404: {"model": Problem, "description": "No such session (expired, evicted or deleted)."},
    409: {"model": Problem, "description": "The request conflicts with the session's phase."},
    413: {"model": Problem, "description": "The request body is larger than allowed."},
    422: {"model": Problem, "description": "A value is outside its bound; `field` names it."},
}
"""The error answers every session route may give, for `/docs`."""
