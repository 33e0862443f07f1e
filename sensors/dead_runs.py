"""Run monitoring for runs the daemon cannot see into: `pattern-pivot` runs in-process, so if
that process is killed its run stays STARTED, counts against max_concurrent_runs (queued sensor
runs wait for ever) and keeps its pool slots. This sensor fails such runs and frees their
slots while the UI is up; the CLI does the same before each of its runs."""

import dagster as dg

from pattern_pivot.cli.dead_runs import reap_dead_runs


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Fails runs whose pattern-pivot process died and frees their pool "
                       "slots, so they stop blocking queued runs.")
def dead_runs_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    reaped = reap_dead_runs(context.instance)
    for item in reaped:
        context.log.warning(str(item))
    return dg.SkipReason("; ".join(map(str, reaped)) or "no dead runs")
