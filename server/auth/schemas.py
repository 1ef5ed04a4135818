"""Request and response shapes for sign-in, TOTP and users."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.schemas import Code, Name, Out, Struct, line

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@\-]*$")]
Password = Annotated[str, line(200, min_length=1)]
TotpCode = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]
Language = Annotated[str, msgspec.Meta(pattern=r"^(zh-CN|en)$")]


class LoginRequest(Struct):
    username: Annotated[str, line(64, min_length=1)]
    password: Password
    totp: Annotated[str, line(10)] | None = None
    device_id: Annotated[str, line(64)] | None = None


class UserOut(Out):
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: list[str]  # what the roles allow (server/auth/permissions.py): the app shows the screens these reach
    warehouses: list[str]
    language: str | None  # "zh-CN" or "en" as the user chose it; null until they choose (each device shows its own)
    totp_enabled: bool
    active: bool
    version: int
    # Set while failed sign-ins keep this account refused from some address: until when (an administrator may unlock).
    sign_in_locked_until: dt.datetime | None = None
    timezone: str = ""  # the company's time zone (CANGKU_TIMEZONE): the app shows times and dates in it


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
    roles: Annotated[list[Annotated[str, line(32)]], msgspec.Meta(min_length=1, max_length=7)]
    display_name: Name = ""
    warehouses: Annotated[list[Code], msgspec.Meta(max_length=100)] = []
    language: Language | None = None


class UserUpdate(Struct):
    version: int | None = None  # the version the person saw: a change made meanwhile by someone else is not overwritten
    roles: Annotated[list[Annotated[str, line(32)]], msgspec.Meta(min_length=1, max_length=7)] | None = None
    warehouses: Annotated[list[Code], msgspec.Meta(max_length=100)] | None = None
    display_name: Name | None = None
    active: bool | None = None
    password: Password | None = None
    language: Language | None = None


class RoleOut(Out):
    role: str
    name_zh: str
    name_en: str


class AccountRules(Out):
    """What a new account needs: one or more of these roles, and a password of at least `password_min_length`
    characters that is not one of the passwords most often seen in leaks."""

    roles: list[RoleOut]
    password_min_length: int


class LanguageChoice(Struct):
    """The language a user reads the app in, on every device they sign in on."""

    language: Language


class Ok(Out):
    ok: bool = True
