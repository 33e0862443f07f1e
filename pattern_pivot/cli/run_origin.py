"""CLI runs belong to the UI's code location.

``execute_in_process`` runs a throwaway copy of the job (its own executor and IO manager) and
records no origin, so in the UI such a run has no code location: it is missing from the
Overview timeline and re-executing it warns that the job "may be a different version". Here
the run is created the way the UI creates one: the job as the code location defines it (same
snapshot id) and the remote origin of the workspace's location (``LOCATION_NAME``, as in
workspace.yaml), then executed in this process.

Dagster has no public API for this (1.13), so every internal import stays in this module;
tests/test_run_origin.py checks, through the UI's own GraphQL, that it still matches.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run
from dagster._core.execution.execute_in_process import merge_run_tags
from dagster._core.origin import JobPythonOrigin
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin
from dagster._core.remote_representation.code_location import InProcessCodeLocation
from dagster._core.remote_representation.external import RemoteRepository
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

# The code location's name in workspace.yaml, docker/workspace.yaml and `pattern-pivot ui`.
LOCATION_NAME = "pattern_pivot"
DEFINITIONS_MODULE = "pattern_pivot.definitions"


def workspace_yaml() -> str:
    """The workspace `pattern-pivot ui` loads when the folder it starts in has none."""
    return ("load_from:\n  - python_module:\n"
            f"      module_name: {DEFINITIONS_MODULE}\n"
            f"      location_name: {LOCATION_NAME}\n")


@functools.cache
def _repository(working_directory: str) -> RemoteRepository:
    """The code location loaded here (the module is already imported: well under a second),
    once per process."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE,
                             working_directory=working_directory),
        location_name=LOCATION_NAME)
    with dg.DagsterInstance.ephemeral() as scratch:  # only the origins are kept
        [repository] = InProcessCodeLocation(origin, instance=scratch).get_repositories().values()
    return repository


def origins(job_name: str) -> tuple[RemoteJobOrigin | None, JobPythonOrigin | None]:
    """(remote job origin, job code origin) of ``job_name`` in the workspace's location;
    (None, None) for a job the location does not have (one a test built)."""
    repository = _repository(os.getcwd())
    if not repository.has_job(job_name):
        return None, None
    remote_job = repository.get_full_job(job_name)
    return remote_job.get_remote_origin(), remote_job.get_python_origin()


def execute_in_location(instance: dg.DagsterInstance, job: dg.JobDefinition,
                        partition_key: str, run_config: Mapping[str, object],
                        tags: Mapping[str, str]) -> dg.JobExecutionResult:
    """Create the run of ``job`` for ``partition_key`` as belonging to the workspace's code
    location, and execute it here (the job's own in-process executor); never raises for a
    failed step."""
    if job.partitioned_config and not run_config:
        run_config = job.partitioned_config.get_run_config_for_partition_key(partition_key)
    run_tags = merge_run_tags(job_def=job, partition_key=partition_key, tags=tags,
                              asset_selection=None, instance=instance, run_config=run_config)
    remote_origin, code_origin = origins(job.name)
    run = instance.create_run_for_job(job_def=job, run_config=run_config,
                                      tags={**job.run_tags, **run_tags},
                                      remote_job_origin=remote_origin,
                                      job_code_origin=code_origin)
    return execute_run(InMemoryJob(job), run, instance, raise_on_error=False)

