"""The staff console (/console): server-rendered pages with a little plain JavaScript."""

from fastapi import APIRouter

from bot.hall.console import admin, dashboard, pages, review, session

router = APIRouter(include_in_schema=False)
# session first: login and /logout (which ends the session server-side) before the pages.
for module in (session, pages, dashboard, admin, review):
    router.include_router(module.router, prefix="/console")
