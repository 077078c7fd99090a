import re
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, field_validator

from ticketbooth.kit import ApiModel, ApiResponse, UtcTimestamp

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,60}$")


class SignupRequest(ApiModel):
    first_name: Name
    last_name: Name
    email: EmailStr = Field(max_length=254)
    username: str | None = Field(
        default=None, description="3-60 letters, digits, '.', '_' or '-'; derived from the email when omitted."
    )
    password: str = Field(min_length=8, max_length=256)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.lower()

    @field_validator("username")
    @classmethod
    def _check_username(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not _USERNAME.match(value):
            raise ValueError("must be 3-60 letters, digits, '.', '_' or '-'")
        return value


class LoginRequest(ApiModel):
    email: str = Field(min_length=1, max_length=254, description="The email address or the username.")
    password: str = Field(min_length=1, max_length=256)


class UserOut(ApiResponse):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    created_at: UtcTimestamp
    updated_at: UtcTimestamp


class LoginUser(ApiResponse):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str


class LoginResponse(ApiResponse):
    token: str = Field(description="Opaque bearer token; send it as `Authorization: Bearer <token>`.")
    user: LoginUser
