from datetime import timedelta

from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from ticketbooth.accounts import service
from ticketbooth.accounts.schemas import LoginRequest, LoginResponse, SignupRequest, UserOut
from ticketbooth.dependencies import CurrentUserDep, DbDep, SettingsDep
from ticketbooth.errors import Forbidden, Unauthorized, UserExists, ValidationFailed, responses
from ticketbooth.ratelimit import RateLimited, limit_ip, login_attempt

router = APIRouter(prefix="/api", tags=["accounts"])


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=responses(UserExists, ValidationFailed, RateLimited),
    summary="Register a customer account",
    dependencies=[limit_ip("signup")],
)
async def signup(body: SignupRequest, db: DbDep) -> dict:
    return await service.register(db, body)


@router.post(
    "/login",
    response_model=LoginResponse,
    responses=responses(Unauthorized, ValidationFailed, RateLimited),
    summary="Log in with email (or username) and password",
    dependencies=[limit_ip("login")],
)
async def login(body: LoginRequest, db: DbDep, settings: SettingsDep, request: Request) -> dict:
    async with login_attempt(request, body.email):  # failed logins per account are throttled
        token, user = await service.login(
            db, login_name=body.email, password=body.password, token_ttl=timedelta(hours=settings.token_ttl_hours)
        )
    return {"token": token, "user": user}


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized),
    summary="Revoke the token of this request",
)
async def logout(request: Request, user: CurrentUserDep, db: DbDep) -> Response:
    await service.logout(db, request.app.state.tokens, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut, responses=responses(Unauthorized), summary="The logged-in user")
async def me(user: CurrentUserDep, db: DbDep) -> dict:
    return await service.get_profile(db, user.id)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=responses(Unauthorized, Forbidden, UserExists, ValidationFailed),
    summary="Create a user (admin only); same payload as sign-up",
)
async def create_user(body: SignupRequest, user: CurrentUserDep, db: DbDep) -> dict:
    if not user.can(service.PERMISSION_CREATE_USER):
        raise Forbidden("Only administrators may create users.")
    return await service.register(db, body)
