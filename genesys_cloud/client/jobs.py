"""Genesys async queries (usage jobs, analytics jobs) that may need several check runs to finish.

A run never blocks waiting for a job: it submits once, polls once per run, and persists the job id so an
Agent restart polls the same job instead of submitting (and paying for) a new one.
"""

from typing import Any

from typing_extensions import TypedDict

from .errors import NotFound

RUNNING, DONE, FAILED = 'running', 'done', 'failed'


class JobFailed(Exception):
    pass


class JobRecord(TypedDict):
    id: str
    submitted: float
    query: Any
    polls: int


class AsyncJob:
    def __init__(self, state, key, clock, max_age=6 * 3600):
        self._state = state
        self._key = f'job.{key}'
        self._clock = clock
        self._max_age = max_age

    @property
    def pending_id(self):
        record = self._state.get(self._key, shape=JobRecord)
        return record['id'] if record else None

    def result(self, submit, poll, fingerprint=None):
        """Return the finished job's payload, or None while it runs.

        submit() -> job id; poll(job_id) -> (RUNNING|DONE|FAILED, payload). `fingerprint` describes the
        query: a pending job for another query (say, yesterday's day) is abandoned rather than reused.
        """
        record = self._state.get(self._key, shape=JobRecord)
        now = self._clock.time()
        if record and (record.get('query') != fingerprint or now - record.get('submitted', 0) > self._max_age):
            record = None  # Genesys expires old jobs; asking about them only costs a 404
        if record is None:
            record = {'id': submit(), 'submitted': now, 'query': fingerprint, 'polls': 0}
            self._state.set(self._key, record)
        try:
            status, payload = poll(record['id'])
        except NotFound:
            self._state.delete(self._key)  # expired server-side: submit afresh next run
            return None
        if status == RUNNING:
            record['polls'] = record.get('polls', 0) + 1
            self._state.set(self._key, record)
            return None
        self._state.delete(self._key)
        if status == FAILED:
            raise JobFailed(f'job {record["id"]} failed: {payload}')
        return payload
