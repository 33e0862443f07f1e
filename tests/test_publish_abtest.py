"""A/B thumbnail rotation judged on Reporting API data: a crafted channel_reach_basic_a1
report served by a local Reporting API (jobs, reports, CSV download) read through the real
google-api-python-client; a winner on enough data, "not yet" on thin or close data, and
"waiting" without OAuth."""

import json
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest

from pattern_pivot.publish.abtest import (
    REPORT_TYPE,
    Rotation,
    decide,
    reach_reports,
    read_reach_report,
    thumbnail_for,
)
from tests.http_support import LocalServer

START = date(2026, 11, 1)
VIDEO = "vid00000001"


def _csv(ctr_by_variant: dict[int, float], impressions: int, days: int = 6) -> str:
    rows = ["date,channel_id,video_id,video_thumbnail_impressions,"
            "video_thumbnail_impressions_ctr"]
    for d in range(days):
        day = START + timedelta(days=d)
        ctr = ctr_by_variant[d % 3]
        rows.append(f"{day:%Y%m%d},UCmine,{VIDEO},{impressions},{ctr}")
        rows.append(f"{day:%Y%m%d},UCmine,otherVideo,99999,0.5")  # another video: ignored
    return "\n".join(rows) + "\n"


ROTATION = Rotation(VIDEO, ("a.jpg", "b.jpg", "c.jpg"), START, days_each=1, rounds=2)


def test_rotation_shows_one_variant_a_day_each_a_stated_number_of_times():
    shown = [ROTATION.variant_on(START + timedelta(days=d)) for d in range(-1, 8)]
    assert shown == [None, 0, 1, 2, 0, 1, 2, None, None]


def test_winner_on_a_clear_report_and_not_yet_on_thin_or_close_data():
    clear = read_reach_report(_csv({0: 0.040, 1: 0.062, 2: 0.041}, 20000), VIDEO)
    decision = decide(ROTATION, clear)
    assert decision.state == "winner" and decision.winner == 1
    assert decision.p_value < 0.05 / 2
    assert [round(a.ctr, 3) for a in decision.arms] == [0.040, 0.062, 0.041]
    assert thumbnail_for(ROTATION, decision, START) == 1

    thin = read_reach_report(_csv({0: 0.040, 1: 0.090, 2: 0.041}, 300), VIDEO)
    not_yet = decide(ROTATION, thin)
    assert not_yet.state == "not-yet" and not_yet.winner is None
    assert "each needs 1000" in not_yet.reason

    close = read_reach_report(_csv({0: 0.050, 1: 0.052, 2: 0.049}, 5000), VIDEO)
    undecided = decide(ROTATION, close)
    assert undecided.state == "not-yet" and "not below" in undecided.reason
    assert thumbnail_for(ROTATION, undecided, START + timedelta(days=1)) == 1  # its turn

    waiting = decide(ROTATION, None)
    assert waiting.state == "waiting" and waiting.p_value is None and waiting.arms == ()


class _Reporting(BaseHTTPRequestHandler):
    csv_text = ""
    jobs: list = []
    created: list = []

    def log_message(self, *args):
        pass

    def _send(self, status, body: bytes, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/v1/jobs":
            return self._send(200, json.dumps({"jobs": self.jobs}).encode())
        if url.path == "/v1/jobs/job-1/reports":
            assert query["startTimeAtOrAfter"] == ["2026-11-01T00:00:00Z"]
            host = self.headers["Host"]
            return self._send(200, json.dumps({"reports": [{
                "id": "r1", "jobId": "job-1", "startTime": "2026-11-01T08:00:00Z",
                "endTime": "2026-11-07T08:00:00Z",
                "downloadUrl": f"http://{host}/v1/media/CHANNEL/job-1/r1?alt=media"}]}
            ).encode())
        if url.path == "/v1/media/CHANNEL/job-1/r1":
            return self._send(200, self.csv_text.encode(), "text/csv")
        self._send(404, b"{}")

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.created.append(body)
        self._send(200, json.dumps({"id": "job-new", **body}).encode())


def _client(server):
    import google_auth_httplib2
    import httplib2
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    http = google_auth_httplib2.AuthorizedHttp(Credentials(token="t"), http=httplib2.Http())
    client = build("youtubereporting", "v1", http=http, static_discovery=True,
                   cache_discovery=False, client_options={"api_endpoint": server.root_url})
    return client, http


@pytest.mark.parametrize("has_job", [True, False])
def test_reports_are_read_through_the_reporting_api(has_job):
    handler = type("H", (_Reporting,), {
        "csv_text": _csv({0: 0.040, 1: 0.062, 2: 0.041}, 20000),
        "jobs": [{"id": "job-1", "reportTypeId": REPORT_TYPE}] if has_job else [],
        "created": []})
    with LocalServer(handler) as server:
        client, http = _client(server)
        texts = reach_reports(client, http, START)
    if not has_job:  # first use: the job is created, reports come in two days
        assert texts == [] and handler.created == [
            {"reportTypeId": REPORT_TYPE, "name": "pattern-pivot thumbnail tests"}]
        return
    daily = {}
    for text in texts:
        daily.update(read_reach_report(text, VIDEO))
    assert decide(ROTATION, daily).winner == 1
