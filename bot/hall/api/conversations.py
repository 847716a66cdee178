"""POST /api/conversations/{id}/erase: a citizen asks the bot to delete their conversation."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from bot.hall import retention
from bot.hall.deps import Caller, get_state, service_only
from bot.hall.state import HallState

router = APIRouter(tags=["个人信息"])


@router.post("/conversations/{conversation_id}/erase")
async def erase(conversation_id: str = Path(..., min_length=1, max_length=200),
                state: HallState = Depends(get_state), _: Caller = Depends(service_only)):
    """Deletes the transcript (tracker store) and anonymises the hall's rows, unless a ticket of
    the conversation is still open: then 409, with when it will go."""
    result = await asyncio.to_thread(retention.erase, state.sessions, state.settings, conversation_id)
    return JSONResponse(result, status_code=200 if result["erased"] else 409)
