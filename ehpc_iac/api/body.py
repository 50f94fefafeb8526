"""Reading request bodies with a cap: a too large body is refused (413) before it is read whole."""
from __future__ import annotations

from fastapi import Request

from ..errors import ApiRequestError

MAX_BODY = 1 << 20


async def read_capped(request: Request, limit: int = MAX_BODY, *, code: str = "InvalidParameter") -> bytes:
    """The body, at most ``limit`` bytes; Starlette caches it, so ``request.body()`` works afterwards."""
    too_big = ApiRequestError(f"The request body is larger than {limit} bytes.", code=code, http_status=413,
                              field="body")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    request._body = b"".join(chunks)   # Starlette's cache of the body
    return request._body
