"""Request and response shapes for sign-in, TOTP and users."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.schemas import Code, Name, Out, Struct

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@\-]*$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TotpCode = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]
Language = Annotated[str, msgspec.Meta(pattern=r"^(zh-CN|en)$")]


class LoginRequest(Struct):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Password
    totp: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    device_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class UserOut(Out):
    id: int
    username: str
    display_name: str
    roles: list[str]
    warehouses: list[str]
    language: str
    totp_enabled: bool
    active: bool


class LoginResponse(Out):
    token: str
    csrf_token: str
    user: UserOut


class TotpSetup(Out):
    secret: str
    uri: str


class TotpConfirm(Struct):
    code: TotpCode


class UserCreate(Struct):
    username: Username
    password: Password
    roles: Annotated[list[str], msgspec.Meta(min_length=1, max_length=7)]
    display_name: Name = ""
    warehouses: Annotated[list[Code], msgspec.Meta(max_length=100)] = []
    language: Language = "zh-CN"


class UserUpdate(Struct):
    roles: Annotated[list[str], msgspec.Meta(min_length=1, max_length=7)] | None = None
    warehouses: Annotated[list[Code], msgspec.Meta(max_length=100)] | None = None
    display_name: Name | None = None
    active: bool | None = None
    password: Password | None = None
    language: Language | None = None


class Ok(Out):
    ok: bool = True
