"""Schedules: the daily statistics snapshot."""

import dagster as dg

from sensors.jobs import video_stats_job

# 23:30 UTC: today's partition (end_offset=1), late enough to count most of the day.
video_stats_schedule = dg.build_schedule_from_partitioned_job(
    video_stats_job, hour_of_day=23, minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 23:30 UTC: today's statistics snapshot of every catalog video "
                "(video_stats) and the refreshed channel_summary. Local files have no public "
                "statistics; without a YouTube API key every video is recorded as skipped.")

# 06:00 UTC: the night's failures are in the report before the working day starts.
run_health_schedule = dg.ScheduleDefinition(
    name="run_health_schedule", job_name="run_health_job", cron_schedule="0 6 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 06:00 UTC: the run-health report of the last 24 hours "
                "(run_health_report).")
