"""The remix request sensor on a real ephemeral instance: bad files fail only themselves,
a failed tick loses nothing, and a request submitted again runs again."""

from __future__ import annotations

import os

import dagster as dg

from pattern_pivot.remix.request import MAX_REQUEST_FILE_BYTES, parse_request
from pattern_pivot.remix.store import RemixStore
from resources import RemixStoreResource
from sensors.remix_requests import remix_requests_sensor

GOOD = "topic: solar panels and home batteries\nmode: supercut\nformat: '16:9'\nlength: 15\n"


def _tick(settings, instance, cursor=None):
    resource = RemixStoreResource(path=str(settings.remix_store_path),
                                  requests_dir=str(settings.remix_requests_dir))
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"remix_store": resource})
    return remix_requests_sensor(context)


def _runs(result) -> list[tuple[str, str]]:
    return sorted((r.partition_key, r.run_key) for r in result.run_requests or [])


def test_bad_request_files_fail_only_themselves(settings):
    folder = settings.remix_requests_dir
    folder.mkdir(parents=True)
    (folder / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    (folder / "latin1.yaml").write_bytes("topic: café\n".encode("latin-1"))
    (folder / "bomb.yaml").write_text('a: &a ["lol","lol"]\nb: &b [*a,*a]\ntopic: *b\n')
    (folder / "big.json").write_text('{"topic": "x", "pad": "' + "x" * MAX_REQUEST_FILE_BYTES
                                     + '"}')
    (folder / "nested.json").write_text("[" * 50_000 + "]" * 50_000)
    (folder / "list.yaml").write_text("topic: [a, b]\n")
    (folder / "good.yaml").write_text(GOOD)
    # A name that is not UTF-8 (a Latin-1 file system): the request in it is fine.
    odd = os.path.join(os.fsencode(folder), b"caf\xe9.yaml")
    with open(odd, "wb") as handle:
        handle.write(b"topic: cafe culture\nmode: supercut\n")
    good = parse_request({"topic": "solar panels and home batteries", "mode": "supercut",
                          "format": "16:9", "length": 15}).request_id
    cafe = parse_request({"topic": "cafe culture", "mode": "supercut"}).request_id
    instance = dg.DagsterInstance.ephemeral()
    tick = _tick(settings, instance)
    assert sorted(key for key, _ in _runs(tick)) == sorted([good, cafe])
    assert RemixStore(settings.remix_store_path).ids() == [cafe, good]  # name order
    # Every file, good or bad, was read once: the next tick has nothing to do.
    again = _tick(settings, instance, cursor=tick.cursor)
    assert not again.run_requests and "no new remix requests" in str(again.skip_reason)


def test_a_failed_tick_loses_nothing_and_repeats_its_run_keys(settings):
    settings.remix_requests_dir.mkdir(parents=True)
    (settings.remix_requests_dir / "solar.yaml").write_text(GOOD)
    instance = dg.DagsterInstance.ephemeral()
    first = _tick(settings, instance)
    assert len(first.run_requests) == 1
    # Dagster did not store that tick (it failed or timed out): its cursor never arrived.
    retried = _tick(settings, instance, cursor=None)
    assert _runs(retried) == _runs(first)  # same run key: Dagster launches it only once
    done = _tick(settings, instance, cursor=retried.cursor)
    assert not done.run_requests
    assert RemixStore(settings.remix_store_path).pending() == []  # marked once it was safe


def test_a_request_submitted_again_runs_again(settings):
    settings.remix_requests_dir.mkdir(parents=True)
    path = settings.remix_requests_dir / "solar.yaml"
    path.write_text(GOOD)
    instance = dg.DagsterInstance.ephemeral()
    first = _tick(settings, instance)
    [(request_id, first_key)] = _runs(first)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # saved again
    second = _tick(settings, instance, cursor=first.cursor)
    [(again_id, second_key)] = _runs(second)
    assert again_id == request_id and second_key != first_key
    # The same request from the UI's register job, or a copy of the file, runs it again too.
    store = RemixStore(settings.remix_store_path)
    store.save(store.get(request_id), source="ui")
    third = _tick(settings, instance, cursor=second.cursor)
    assert [k for k, _ in _runs(third)] == [request_id]
    assert len({first_key, second_key, _runs(third)[0][1]}) == 3
    # One the CLI ran itself is not run again by the sensor.
    store.save(store.get(request_id), source="cli")
    store.mark_requested([request_id])
    assert not _tick(settings, instance, cursor=third.cursor).run_requests
