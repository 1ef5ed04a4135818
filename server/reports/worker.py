"""Reports and exports run in a process of their own, so a long report never takes the server's interpreter from a scan.

The server hands a report's name, the caller, the validated filters and the output wanted to a small pool of worker
processes (`CANGKU_REPORT_WORKERS`, default 1) and awaits the file, JSON, CSV or XLSX, rendered there. A big one comes
back as a spool file the server streams to the client in chunks and then removes. Each worker opens
its own connections to the database (a small pool per database it is asked about) and reads in its own snapshot; what a
caller may see is decided there by the same code as in-process, from the actor sent along. A worker that dies (killed,
out of memory) is replaced and the report asked again once.

Workers are started with `spawn`: a fresh interpreter, no state inherited from the server's threads and connections.
The settings a report reads from the environment (the company's time zone, the row limit) are the server's as it is at
the time of the request, sent with each report: both agree on what a day is.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import dataclasses
import multiprocessing
import os
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import msgspec
from litestar import Response
from litestar.response import Stream

from server.auth.permissions import Actor
from server.db import Database
from server.reports.render import content_disposition

WORKERS = max(1, int(os.environ.get("CANGKU_REPORT_WORKERS", "1") or 1))
FORWARDED = ("CANGKU_TIMEZONE", "CANGKU_REPORT_MAX_ROWS")  # read by reports, so sent with each
_DATABASES_KEPT = 4  # databases a worker keeps connections to (tests use many; a server one)


SPOOL_BYTES = 256 * 1024  # a report bigger than this comes back as a file the server streams, never whole in its memory
CHUNK_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Rendered:
    content: bytes  # the whole answer when small; empty when spooled
    media_type: str
    file_name: str | None  # for CSV and XLSX: the name the download is saved under
    spool: str | None = None  # the file holding a big answer: the server sends it in chunks, then removes it

    def spooled(self) -> Rendered:
        """Itself, with a big answer moved to a spool file (in the worker: only the file's name crosses to the server)."""
        if len(self.content) <= SPOOL_BYTES:
            return self
        handle, path = tempfile.mkstemp(prefix="cangku-report-")
        with os.fdopen(handle, "wb") as out:
            out.write(self.content)
        return dataclasses.replace(self, content=b"", spool=path)

    async def chunks(self) -> AsyncIterator[bytes]:
        """A spooled answer in pieces, read from its file as the client takes them; the file is removed after, sent or not."""
        assert self.spool is not None
        try:
            with open(self.spool, "rb") as spool:
                while chunk := await asyncio.to_thread(spool.read, CHUNK_BYTES):
                    yield chunk
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.spool)


# The server's side ------------------------------------------------------------------------------------------------

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _replace(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def worker_pids() -> list[int]:
    """The processes reports run in now (none before the first report)."""
    with _pool_lock:
        processes = getattr(_pool, "_processes", None) or {}
        return sorted(processes)


@atexit.register
def _shutdown() -> None:
    with _pool_lock:
        pool = _pool
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


async def render_in_worker(task: Callable[..., Rendered], *args: Any) -> Rendered:
    """Run `task` (a module-level function: the worker imports it by name) in a report worker with `args`; the error it
    raises (a CangkuError the caller should see, say) is raised here."""
    environment = {name: os.environ.get(name) for name in FORWARDED}
    for attempt in range(2):
        pool = _executor()
        try:
            future: Future[Rendered] = pool.submit(_run, task, environment, *args)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            _replace(pool)
            if attempt:
                raise
    raise AssertionError("unreachable")


def rendered_response(rendered: Rendered) -> Response[bytes] | Stream:
    """The answer of a report worker: whole when small, else streamed from its spool file in chunks."""
    headers = {"Content-Disposition": content_disposition(rendered.file_name)} if rendered.file_name else {}
    if rendered.spool is None:
        return Response(rendered.content, media_type=rendered.media_type, headers=headers)
    return Stream(rendered.chunks(), media_type=rendered.media_type, headers=headers)


# The worker's side ------------------------------------------------------------------------------------------------

_databases: collections.OrderedDict[str, Database] = collections.OrderedDict()


def _database(url: str) -> Database:
    db = _databases.pop(url, None) or Database(url, commit_steps=(), pool_size=1, max_overflow=1)  # one report at a time
    _databases[url] = db
    while len(_databases) > _DATABASES_KEPT:
        _databases.popitem(last=False)[1].dispose()
    return db


def database(url: str) -> Database:
    """The database at `url` as a task running in a worker reads it (a report, a printed document)."""
    return _database(url)


def _run(task: Callable[..., Rendered], environment: dict[str, str | None], *args: Any) -> Rendered:
    for name, value in environment.items():
        if value:
            os.environ[name] = value
        else:
            os.environ.pop(name, None)
    return task(*args).spooled()


def report(url: str, name: str, actor: Actor, params: Any, format: str, language: str) -> Rendered:  # noqa: A002
    """A report run and rendered: JSON (the API's answer), CSV or XLSX."""
    from server.reports import render
    from server.reports.registry import REPORTS

    with _database(url).read() as session:
        result = REPORTS[name].run(session, actor, params)
    if format == "json":
        return Rendered(msgspec.json.encode(render.to_json(result)), render.MEDIA_TYPES["json"], None)
    content = render.to_csv(result, language) if format == "csv" else render.to_xlsx(result, language)
    return Rendered(content, render.MEDIA_TYPES[format], render.file_name(result, format))
