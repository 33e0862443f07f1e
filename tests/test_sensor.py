"""The channel folder sensor: new files become partitions and runs, a capped batch at a time."""

from __future__ import annotations

import json
import os
import time

import dagster as dg

import sensors.channel_folder
from assets.partitions import videos_partitions
from resources import CatalogResource
from sensors.channel_folder import MAX_NEW_FILES_PER_TICK, channel_folder_sensor
from tests.conftest import JFK, LIBRIVOX, copy_as


def _evaluate(settings, instance, cursor=None, settle_seconds=0.0):
    resource = CatalogResource(path=str(settings.catalog_path), watch_dir=str(settings.watch_dir),
                               settle_seconds=settle_seconds)
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"catalog": resource})
    return channel_folder_sensor(context)


def _apply(instance, result):
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(videos_partitions.name, list(request.partition_keys))


def test_new_files_become_partitions_and_runs(settings):
    instance = dg.DagsterInstance.ephemeral()
    copy_as(JFK, settings.watch_dir / "jfk.wav")
    copy_as(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav",
            settings.watch_dir / "sub folder" / "austen.wav")
    (settings.watch_dir / "notes.txt").write_text("not media")
    result = _evaluate(settings, instance)
    [add] = result.dynamic_partitions_requests
    assert len(add.partition_keys) == 2 and all(k.startswith("file-") for k in add.partition_keys)
    assert sorted(r.partition_key for r in result.run_requests) == sorted(add.partition_keys)
    assert all(r.run_key == r.partition_key for r in result.run_requests)
    _apply(instance, result)

    again = _evaluate(settings, instance, cursor=result.cursor)
    assert not again.run_requests and not again.dynamic_partitions_requests
    assert "no new videos" in str(again.skip_reason)


def test_a_renamed_or_copied_file_is_not_a_new_video(settings):
    instance = dg.DagsterInstance.ephemeral()
    original = copy_as(JFK, settings.watch_dir / "jfk.wav")
    first = _evaluate(settings, instance)
    _apply(instance, first)
    original.rename(settings.watch_dir / "renamed.wav")
    copy_as(JFK, settings.watch_dir / "copy of jfk.wav")
    second = _evaluate(settings, instance, cursor=first.cursor)
    assert not second.run_requests
    assert set(json.loads(second.cursor)["files"]) == {"renamed.wav", "copy of jfk.wav"} | set(
        json.loads(first.cursor)["files"])


def test_first_evaluation_is_capped_and_the_rest_follow(settings):
    instance = dg.DagsterInstance.ephemeral()
    total = MAX_NEW_FILES_PER_TICK + 5
    source = JFK.read_bytes()
    settings.watch_dir.mkdir(parents=True)
    for i in range(total):  # distinct content: each file is its own video
        (settings.watch_dir / f"clip{i:03d}.wav").write_bytes(source + i.to_bytes(4, "little"))
    first = _evaluate(settings, instance)
    assert len(first.run_requests) == MAX_NEW_FILES_PER_TICK
    _apply(instance, first)
    second = _evaluate(settings, instance, cursor=first.cursor)
    assert len(second.run_requests) == 5
    assert not {r.partition_key for r in first.run_requests} & {
        r.partition_key for r in second.run_requests}


def test_files_still_being_written_wait_for_a_later_tick(settings):
    instance = dg.DagsterInstance.ephemeral()
    copy_as(JFK, settings.watch_dir / "arriving.wav")
    result = _evaluate(settings, instance, settle_seconds=3600)
    assert not result.run_requests and "1 pending" in str(result.skip_reason)
    assert json.loads(result.cursor)["files"] == {}


def test_a_file_that_cannot_be_registered_is_tried_again_when_it_changes(settings):
    instance = dg.DagsterInstance.ephemeral()
    settings.watch_dir.mkdir(parents=True)
    os.mkfifo(settings.watch_dir / "pipe.wav")  # listed like a file, but not one to read
    copy_as(JFK, settings.watch_dir / "jfk.wav")
    result = _evaluate(settings, instance)
    assert len(result.run_requests) == 1
    cursor = json.loads(result.cursor)
    assert set(cursor["files"]) == {"jfk.wav"} and set(cursor["failed"]) == {"pipe.wav"}
    # Tried again when it changes: here it becomes a real file.
    (settings.watch_dir / "pipe.wav").unlink()
    (settings.watch_dir / "pipe.wav").write_bytes(JFK.read_bytes() + b"\0")
    again = _evaluate(settings, instance, cursor=result.cursor)
    assert len(again.run_requests) == 1 and json.loads(again.cursor)["failed"] == {}


def _set_mtime(path, seconds_ago: int) -> None:
    stamp = 1_700_000_000 - seconds_ago
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def _ticks(settings, instance, limit=10):
    """Evaluate until a tick handles no file; returns each tick's new partition keys."""
    cursor, batches = None, []
    for _ in range(limit):
        result = _evaluate(settings, instance, cursor=cursor)
        _apply(instance, result)
        if result.cursor == cursor:
            return batches, cursor
        cursor = result.cursor
        batches.append([r.partition_key for r in result.run_requests or []])
    raise AssertionError(f"still finding files after {limit} ticks: {batches}")


def test_a_big_batch_is_split_by_bytes_and_moves_on_every_tick(settings, monkeypatch):
    settings.watch_dir.mkdir(parents=True)
    source = JFK.read_bytes()
    size = len(source) + 1
    # The oldest file is bigger than a tick's byte budget: it is taken alone.
    big = settings.watch_dir / "big.wav"
    big.write_bytes(source * 3)
    _set_mtime(big, 100)
    for i in range(5):
        path = settings.watch_dir / f"clip{i}.wav"
        path.write_bytes(source + bytes([i]))
        _set_mtime(path, 50 - i)
    monkeypatch.setattr(sensors.channel_folder, "MAX_NEW_BYTES_PER_TICK", int(size * 2.5),
                        raising=False)
    batches, cursor = _ticks(settings, dg.DagsterInstance.ephemeral())
    assert [len(b) for b in batches] == [1, 2, 2, 1]
    assert len({key for batch in batches for key in batch}) == 6
    assert len(json.loads(cursor)["files"]) == 6


def test_files_that_cannot_be_registered_do_not_hold_up_the_others(settings):
    settings.watch_dir.mkdir(parents=True)
    for i in range(MAX_NEW_FILES_PER_TICK + 1):  # oldest first, and more than one tick takes
        os.mkfifo(settings.watch_dir / f"pipe{i:02d}.wav")
        _set_mtime(settings.watch_dir / f"pipe{i:02d}.wav", 100)
    copy_as(JFK, settings.watch_dir / "jfk.wav")
    batches, cursor = _ticks(settings, dg.DagsterInstance.ephemeral())
    assert [len(b) for b in batches] == [0, 1]  # 20 pipes fail; then the last and jfk.wav
    assert set(json.loads(cursor)["files"]) == {"jfk.wav"}
    assert len(json.loads(cursor)["failed"]) == MAX_NEW_FILES_PER_TICK + 1


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_registered(settings):
    settings.watch_dir.mkdir(parents=True)
    with open(os.path.join(os.fsencode(settings.watch_dir), b"caf\xe9.wav"), "wb") as handle:
        handle.write(JFK.read_bytes() + b"latin-1 name")
    copy_as(JFK, settings.watch_dir / "jfk.wav")
    instance = dg.DagsterInstance.ephemeral()
    result = _evaluate(settings, instance)
    assert len(result.run_requests) == 1
    cursor = json.loads(result.cursor)
    assert set(cursor["files"]) == {"jfk.wav"}
    assert [os.fsencode(name) for name in cursor["failed"]] == [b"caf\xe9.wav"]
    _apply(instance, result)
    assert not _evaluate(settings, instance, cursor=result.cursor).run_requests


def test_files_the_catalog_already_hashed_cost_no_hashing(settings, catalog, monkeypatch):
    """`pattern-pivot add` (or a tick whose result was lost) already hashed them: the next
    tick reuses those entries, unless the file changed since."""
    settings.watch_dir.mkdir(parents=True)
    source = JFK.read_bytes()
    paths = [settings.watch_dir / f"clip{i}.wav" for i in range(4)]
    for i, path in enumerate(paths[:3]):
        path.write_bytes(source + bytes([i]))
        _set_mtime(path, 50 - i)
    time.sleep(1.1)  # registered more than the clock margin after the files last changed
    registered = [catalog.register_file(path).video_id for path in paths[:3]]
    paths[3].write_bytes(source + b"new")
    _set_mtime(paths[3], 10)
    paths[0].write_bytes(source + b"X")  # same size, new content, after it was registered
    monkeypatch.setattr(sensors.channel_folder, "MAX_NEW_BYTES_PER_TICK",
                        int(len(source) * 1.5), raising=False)
    batches, _ = _ticks(settings, dg.DagsterInstance.ephemeral())
    assert [len(b) for b in batches] == [3, 1]  # clip1, clip2 (free), clip3; then clip0
    assert batches[0][:2] == registered[1:]
    assert batches[1][0] != registered[0]  # clip0 was hashed anew: a new video
    assert catalog.get(batches[1][0]).sha256 != catalog.get(registered[0]).sha256


def test_files_that_are_not_media_are_logged_once_and_remembered(settings, capsys):
    instance = dg.DagsterInstance.ephemeral()
    copy_as(JFK, settings.watch_dir / "jfk.wav")
    notes = settings.watch_dir / "notes.txt"
    notes.write_text("not media")
    first = _evaluate(settings, instance)
    _apply(instance, first)
    assert "ignoring 'notes.txt'" in capsys.readouterr().err
    again = _evaluate(settings, instance, cursor=first.cursor)
    assert "notes.txt" not in capsys.readouterr().err
    assert again.cursor == first.cursor and "no new videos" in str(again.skip_reason)
    # Changed, it is looked at (and logged) again.
    notes.write_text("still not media, but longer")
    _evaluate(settings, instance, cursor=again.cursor)
    assert "ignoring 'notes.txt'" in capsys.readouterr().err


def test_every_sensor_and_schedule_explains_itself():
    from pattern_pivot.definitions import defs

    for item in [*defs.sensors, *defs.schedules, *defs.jobs]:
        assert item.description and len(item.description) > 40, item.name
