"""CLI runs belong to the workspace's code location: the UI lists them under it (Overview
timeline) and re-executes them without a "may be a different version" warning."""

import dagster as dg
import pytest
import yaml
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster_graphql.test.utils import execute_dagster_graphql

from assets.partitions import videos_partitions
from pattern_pivot.cli.run_origin import DEFINITIONS_MODULE, LOCATION_NAME, workspace_yaml
from pattern_pivot.cli.runs import execute
from pattern_pivot.definitions import build_definitions
from tests.conftest import REPO

# What the UI asks before re-executing a run: does a loaded location have this run's
# origin, and is the job there the same snapshot?
_QUERY = """
query ($runId: ID!, $job: PipelineSelector!) {
  runOrError(runId: $runId) {
    ... on Run { status pipelineSnapshotId parentPipelineSnapshotId
                 repositoryOrigin { repositoryLocationName repositoryName } }
  }
  pipelineOrError(params: $job) { ... on Pipeline { pipelineSnapshotId } }
}
"""


def test_every_workspace_names_the_location_cli_runs_claim():
    [entry] = yaml.safe_load((REPO / "workspace.yaml").read_text())["load_from"]
    assert entry == {"python_module": {"module_name": DEFINITIONS_MODULE,
                                       "location_name": LOCATION_NAME}}
    assert yaml.safe_load(workspace_yaml())["load_from"] == [entry]  # `ui` elsewhere
    [server] = yaml.safe_load((REPO / "docker/workspace.yaml").read_text())["load_from"]
    assert server["grpc_server"]["location_name"] == LOCATION_NAME


@pytest.mark.slow
def test_a_cli_run_is_the_workspace_jobs_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("PATTERN_PIVOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dagster").mkdir()
    # The definitions as the code server builds them, from the same environment.
    job = build_definitions().resolve_job_def("ingest_job")
    key = "file-0123456789abcdef"  # a partition with no video behind it: fails at once
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(videos_partitions.name, [key])
        outcome = execute(instance, job, key, say=lambda _: None, title="Nothing here")
        assert not outcome.success and key in outcome.error
        run = instance.get_run_by_id(outcome.run_id)
        assert run.tags["dagster/partition"] == key
        assert run.tags["pattern_pivot/title"] == "Nothing here"
        with WorkspaceProcessContext(
                instance, WorkspaceFileTarget([str(REPO / "workspace.yaml")])) as workspace:
            result = execute_dagster_graphql(
                workspace.create_request_context(), _QUERY,
                {"runId": outcome.run_id,
                 "job": {"repositoryLocationName": LOCATION_NAME,
                         "repositoryName": "__repository__", "pipelineName": job.name}})
    assert result.errors is None, result.errors
    seen = result.data["runOrError"]
    assert seen["status"] == "FAILURE"
    assert seen["repositoryOrigin"] == {"repositoryLocationName": LOCATION_NAME,
                                        "repositoryName": "__repository__"}
    assert seen["parentPipelineSnapshotId"] is None
    assert seen["pipelineSnapshotId"] == result.data["pipelineOrError"]["pipelineSnapshotId"]
