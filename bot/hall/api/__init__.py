"""JSON API of the hall: /api/..."""

from fastapi import APIRouter

from bot.hall.api import auth, catalogue, feedback, tickets

router = APIRouter(prefix="/api")
router.include_router(auth.router)
router.include_router(catalogue.router)
router.include_router(tickets.router)
router.include_router(feedback.router)
