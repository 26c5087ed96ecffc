"""Real-time sync: Google push channels and Notion webhooks turn an edit into a sync within
seconds; polling (services.dispatch) stays as the safety net.

- `ports`      what this package needs from outside, as Protocols (a task scheduler, a Google
               channel client): the Celery and Google adapters are plugged in by the callers.
- `debounce`   a burst of notifications for one student → one sync a few seconds later.
- `google`     the Google notification receiver.
- `notion`     the Notion webhook receiver (verification request, signature, dedupe).
- `receive`    the receivers as one unit of work each, scheduling after commit (for the API).
- `channels`   ensure, renew and stop a student's watch channels.
- `health`     whether a student's push is healthy (else: polling at the short interval).
- `signatures` constant-time secret and HMAC comparison.
"""
