"""JSON API of the hall: /api/..."""

from fastapi import APIRouter

from bot.hall.api import approved, auth, catalogue, conversations, feedback, staff, stats, tickets

router = APIRouter(prefix="/api")
router.include_router(auth.router)
router.include_router(catalogue.router)
router.include_router(tickets.router)
router.include_router(staff.router)
router.include_router(feedback.router)
router.include_router(stats.router)
router.include_router(approved.router)
router.include_router(conversations.router)
