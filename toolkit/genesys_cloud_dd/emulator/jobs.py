"""Async jobs shared by usage, analytics and billing endpoints.

A route creates a job with a function that computes its result; each poll of the job reports a running
state until the emulator's `job_polls` polls have been seen, then the result (computed once). The state
words belong to the endpoint, so each passes a JobStates:

    LEGACY_USAGE = JobStates(running=('Running',), done='Complete', failed='Failed')
    poll = request.emulator.jobs.poll(job_id, request)   # 404 ErrorBody for an unknown id
    if poll.done: body = {'queryStatus': poll.state, 'results': poll.result}
"""

import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .errors import ApiError


@dataclass(frozen=True)
class JobStates:
    running: tuple  # reported in turn while running; the last one repeats
    done: str
    failed: str

    def running_state(self, poll_index):
        return self.running[min(poll_index, len(self.running) - 1)]


# The vocabularies of the reference (sections 5 and 8).
LEGACY_USAGE_STATES = JobStates(running=('Running',), done='Complete', failed='Failed')
AGGREGATES_JOB_STATES = JobStates(running=('Queued', 'Running'), done='Succeeded', failed='Failed')
ANALYTICS_JOB_STATES = JobStates(running=('QUEUED', 'PENDING'), done='FULFILLED', failed='FAILED')
# BillingUsageReport.status knows only InProgress|Complete; the route answers a failed report as a 500.
BILLABLE_USAGE_STATES = JobStates(running=('InProgress',), done='Complete', failed='Failed')


@dataclass
class Job:
    id: str
    kind: str
    states: JobStates
    compute: Callable[[], Any]
    created_at: float
    polls: int = 0
    forced: Optional[str] = None  # 'stuck' or 'failed', set by a fault on the creating request
    result: Any = None
    error: Optional[Exception] = None
    finished: bool = False


@dataclass
class JobPoll:
    job: Job
    state: str
    done: bool = False
    failed: bool = False
    result: Any = None
    error: Optional[Exception] = None


class JobStore:
    def __init__(self, clock, running_polls=1):
        self.clock = clock
        self.running_polls = running_polls  # polls answered "running" before a job completes
        self._jobs = {}
        self._lock = threading.Lock()

    def create(self, compute, states, kind='job', request=None, job_id=None) -> Job:
        """A new job; with `job_id`, the job already held under that id if there is one (a report the
        platform identifies by its parameters, not by a job id it hands out)."""
        job = Job(job_id or str(uuid.uuid4()), kind, states, compute, self.clock.time())
        if request is not None and request.job_fault:
            job.forced = request.job_fault
        with self._lock:
            return self._jobs.setdefault(job.id, job)

    def get(self, job_id, kind=None) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (kind is not None and job.kind != kind):
            raise ApiError(404, 'not.found', f'Unable to find a job with id {job_id}')
        return job

    def poll(self, job_id, request=None, kind=None) -> JobPoll:
        """Advance the job by one poll and report its state; faults on this request can hold or fail it."""
        job = self.get(job_id, kind)
        fault = request.job_fault if request is not None else None
        with self._lock:
            index = job.polls
            job.polls += 1
            if 'failed' in (fault, job.forced):
                return JobPoll(job, job.states.failed, failed=True, error=RuntimeError('job failed (fault)'))
            if 'stuck' in (fault, job.forced) or index < self.running_polls:
                return JobPoll(job, job.states.running_state(index))
            if not job.finished:
                try:
                    job.result = job.compute()
                except ApiError as exc:
                    job.error = exc
                job.finished = True
        if job.error is not None:
            return JobPoll(job, job.states.failed, failed=True, error=job.error)
        return JobPoll(job, job.states.done, done=True, result=job.result)

    def __len__(self):
        return len(self._jobs)
