"""Google batch requests: many calls in one HTTP request, one answer (or mapped error) each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httplib2
from googleapiclient.http import BatchHttpRequest, HttpRequest

from integrations.errors import IntegrationError, NeedsReauthError
from integrations.google_calendar.errors import map_exception, mapped_errors
from integrations.google_calendar.freebusy import chunks as in_chunks
from integrations.google_calendar.wire import JsonDict

log = logging.getLogger(__name__)

Key = TypeVar("Key")
Answers = dict[Key, tuple[JsonDict | None, IntegrationError | None]]


def run_batches(
    requests: Sequence[tuple[Key, str, HttpRequest]],
    max_batch: int,
    batch_uri: str,
    http: httplib2.Http | Any,
) -> Answers[Key]:
    """Send requests in batches; per key, (response, None) or (None, mapped error). A batch
    that fails as a whole (timeout, 429 on the batch itself) fails its items and every later
    one, which are not attempted: the caller retries them all later."""
    answers: Answers[Key] = {}
    chunks = list(in_chunks(list(requests), max_batch))
    for position, chunk in enumerate(chunks):
        names = {str(i): (key, op_name) for i, (key, op_name, _r) in enumerate(chunk)}
        batch = BatchHttpRequest(callback=_collector(names, answers), batch_uri=batch_uri)
        for i, (_key, _op_name, request) in enumerate(chunk):
            batch.add(request, request_id=str(i))
        try:
            with mapped_errors("batch"):
                batch.execute(http=http)
        except NeedsReauthError:
            raise
        except IntegrationError as error:
            log.warning("google batch failed as a whole: %s", error)
            for later in chunks[position:]:
                for key, _op_name, _request in later:
                    answers.setdefault(key, (None, error))
            break
    return answers


def _collector(
    names: dict[str, tuple[Key, str]], answers: Answers[Key]
) -> Callable[[str, Any, BaseException | None], None]:
    def collect(request_id: str, response: Any, exception: BaseException | None) -> None:
        key, op_name = names[request_id]
        if exception is None:
            answers[key] = (response if isinstance(response, dict) else None, None)
            return
        mapped = map_exception(exception, op_name)
        if mapped is None:
            raise exception
        answers[key] = (None, mapped)

    return collect
