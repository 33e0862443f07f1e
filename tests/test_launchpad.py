"""The UI's remix launchpad (register_remix_job): typed, described fields; bad values are
rejected before anything is stored."""

import dagster as dg
import pytest

from assets.partitions import remixes_partitions
from assets.remix import RemixRequestConfig
from pattern_pivot.definitions import build_definitions
from resources import RemixStoreResource


def _config(**fields):
    return {"ops": {"register_remix": {"config": fields}}}


@pytest.fixture
def launchpad(settings):
    defs = build_definitions(settings)
    return defs.resolve_job_def("register_remix_job")


@pytest.mark.parametrize("fields, names", [
    ({"topic": "houseplants", "mode": "podcast"}, "mode"),
    ({"topic": "houseplants", "format": "4:3"}, "format"),
    ({"topic": "houseplants", "variants": "two"}, "variants"),
    ({"mode": "narrated"}, "topic"),
])
def test_mode_format_types_and_a_missing_topic_fail_validation_before_launch(
        launchpad, fields, names):
    with pytest.raises(dg.DagsterInvalidConfigError, match=names):
        dg.validate_run_config(launchpad, _config(**fields))


@pytest.mark.parametrize("fields, problem", [
    ({"topic": "   "}, "topic is empty"),
    ({"topic": "houseplants", "length": 2}, "length"),
    ({"topic": "houseplants", "length": 3600}, "length"),
    ({"topic": "houseplants", "variants": 0}, "variants"),
    ({"topic": "houseplants", "variants": 9}, "variants"),
])
@pytest.mark.slow
def test_out_of_range_values_fail_the_run_at_once_and_store_nothing(
        settings, launchpad, fields, problem):
    instance = dg.DagsterInstance.ephemeral()
    result = launchpad.execute_in_process(run_config=_config(**fields), instance=instance,
                                          raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert problem in str(failure.step_failure_data.error.to_string())
    assert not instance.get_dynamic_partitions(remixes_partitions.name)
    store = RemixStoreResource(path=str(settings.remix_store_path),
                               requests_dir=str(settings.remix_requests_dir)).store()
    assert not store.pending_submissions()


def test_every_launchpad_field_is_described_and_allow_shorter_is_kept():
    fields = RemixRequestConfig.model_fields
    assert {"topic", "mode", "format", "length", "variants", "story", "allow_shorter"} <= set(
        fields)
    assert all(f.description for f in fields.values())
