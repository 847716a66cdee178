"""The staff console (/console): server-rendered pages with a little plain JavaScript."""

from fastapi import APIRouter

from bot.hall.console import admin, dashboard, pages

router = APIRouter(include_in_schema=False)
for module in (pages, dashboard, admin):
    router.include_router(module.router, prefix="/console")
