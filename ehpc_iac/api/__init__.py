"""The HTTP endpoint (``ehpc-iac serve``): Alibaba Cloud's E-HPC SDKs and a REST job API
over the same operations layer as the CLI.

    from ehpc_iac.api import ApiContext, create_app
    app = create_app(ApiContext.for_home())      # an ASGI application

Layout: ``rpc`` (the ``/`` endpoint, both signature schemes, error translation),
``v2018`` / ``v2024`` (action tables), ``rest_jobs`` (``/api/jobs``), ``auth`` / ``signing``
(signatures), ``keys`` (access keys, nonces), ``responses`` (JSON / XML), ``server`` (uvicorn).
"""
from .app import create_app
from .context import ApiContext

__all__ = ["ApiContext", "create_app"]
