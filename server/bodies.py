"""Reading request bodies: JSON only, bounded in size and depth before parsing, decoded strictly into the route's type."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.types import Empty
from litestar.typing import FieldDefinition

from server.errors import MalformedRequest, RequestTooLarge, UnsupportedMediaType
from server.schemas import RequestDecimal, decimal_hook, plain_decimals

# A JSON string literal (escapes included): brackets inside one do not nest anything.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")
# Control characters in a path or a query, but the group separator (FNC1) a scanner puts between GS1 fields.
_CONTROL = re.compile(r"[\x00-\x1c\x1e\x1f\x7f]")
_PROBLEM_AT = re.compile(r"^(.*?)(?: - at `\$\.?(.*)`)?$", re.DOTALL)


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` deep (or its brackets do not pair up).

    Cheap enough to run on every body before it is parsed: the parser recurses once per level, so a body nested
    thousands deep must never reach it. Counts brackets outside string literals; each pass removes the innermost pairs.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(_SQUARE, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


@lru_cache(maxsize=512)
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_, strict=True, dec_hook=decimal_hook)


def _decode(body: bytes, type_: Any) -> Any:
    try:
        decoder = _decoder(type_)
    except TypeError:  # an unhashable annotation: build its decoder each time
        decoder = msgspec.json.Decoder(type_, strict=True, dec_hook=decimal_hook)
    return decoder.decode(body)


def decode_body(body: bytes, type_: Any, max_depth: int) -> Any:
    """A JSON body as `type_`: strictly (a string is no integer), its decimals checked (see server.schemas)."""
    if nested_deeper_than(body, max_depth):
        raise MalformedRequest(
            f"The body is nested deeper than {max_depth} levels, or its brackets do not pair up.",
            f"请求内容的嵌套超过 {max_depth} 层，或括号不成对。",
            code="too_deep", max_depth=max_depth,
        )
    try:
        return plain_decimals(_decode(body, type_))
    except msgspec.ValidationError as exc:
        message, where = _PROBLEM_AT.match(str(exc)).groups()  # type: ignore[union-attr]
        if "x00" in message:  # the text patterns of server.schemas
            message = "Expected text without control characters (no NUL; a line break only in notes and addresses)"
        problem = {"message": message, "source": "body"} | ({"key": where} if where else {})
        raise ValidationException(detail="Validation failed", extra=[problem]) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"The body is not valid JSON: {exc}.", f"请求内容不是有效的 JSON：{exc}。") from None


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class JsonRequest(Request[Any, Any, Any]):
    """The request class of the app: a JSON body is refused unless it says it is JSON, and is read as the route's type."""

    async def body(self) -> bytes:
        try:
            return await super().body()
        except RequestEntityTooLarge:
            limit = self.route_handler.resolve_request_max_body_size()
            raise RequestTooLarge(
                f"The request body is too large (at most {limit:,} bytes).", f"请求内容过大（最多 {limit:,} 字节）。", limit=limit,
            ) from None

    async def json(self) -> Any:
        if self._json is not Empty:
            return self._json
        body = await self.body()
        media_type = self.content_type[0]
        if not _is_json(media_type):
            raise UnsupportedMediaType(
                f"Send the body as JSON, with the header Content-Type: application/json (not {media_type or 'none'}).",
                f"请以 JSON 发送请求内容，并带上 Content-Type: application/json（而不是 {media_type or '无'}）。",
            )
        field = self.route_handler.parsed_fn_signature.parameters.get("data")
        settings = getattr(self.app.state, "settings", None)
        self._json = decode_body(body or b"null", Any if field is None else field.annotation, settings.max_json_depth if settings else 32)
        return self._json


def refuse_control_characters(request: Request[Any, Any, Any]) -> None:
    """Before a route runs: a path or query with a control character (NUL, say) is refused, never looked up."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    for where_en, where_zh, text in (("path", "路径", request.scope["path"]), ("query", "查询参数", unquote_plus(query))):
        if _CONTROL.search(text):
            raise MalformedRequest(
                f"The {where_en} of the request contains a control character.", f"请求的{where_zh}含有控制字符。", code="control_character",
            )


class DecimalSchemas(OpenAPISchemaPlugin):
    """The OpenAPI schema of the request decimals: a string of digits, with the kind's limit and scale."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, RequestDecimal)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        kind: type[RequestDecimal] = field_definition.annotation
        return Schema(
            type=OpenAPIType.STRING, pattern=kind.pattern(), examples=["12", "1.5"],
            description=f"{kind.kind_en.capitalize()}: a decimal below {kind.limit:,} with at most {kind.places} places, as a string "
                        f"(a JSON number is read too) / {kind.kind_zh}：小于 {kind.limit:,}、最多 {kind.places} 位小数的十进制数字符串",
        )
