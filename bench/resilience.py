"""Faults under load: the whole system on loopback, users at work, services failing one after another.

    python -m bench.resilience [--duration 30] [--quick]      (make resilience)

Starts its own SecantusDB (on disk, so it can be restarted with its data), the local model server
and the portal under gunicorn as Dockerfile.portal runs it, on free ports in a temporary folder.
Patients upload an X-ray, read the result and save their case; clinicians sign in, browse the
worklist, open cases and sign advice; an integrator calls the API. Meanwhile: the model server is
stopped and restarted, then hung (SIGSTOP beyond MODEL_TIMEOUT, then SIGCONT), MongoDB is stopped
and restarted on the same port and data, and the portal is restarted. After each fault the run
waits for /readyz. At the end it finishes pending predictions (manage.py complete_predictions) and
reads MongoDB directly: every case acknowledged to a user must be there, with its files in GridFS
and its prediction. It prints markdown tables and exits non-zero on a lost case, a 500 or an unclear
error, a hang, a connection failure outside the portal's restart, or a system that did not recover.
"""

import argparse
import base64
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pymongo
import requests

from devtools.sample_xrays import SAMPLE_XRAYS
from devtools.services import (
    REPO_ROOT,
    deployed_portal_env,
    free_port,
    http_ok,
    mongo_uri,
    prepare_deployed_portal,
    start_gunicorn,
    start_mongo,
)
from serving.testing import start_model_server

MODEL_TIMEOUT_S = 4  # the portal's deadline for a model call (production default 10), so a hang is short to show
MONGO_TIMEOUT_MS = 3000
HANG_S = 20.0  # a response slower than this counts as a hang
CLIENT_TIMEOUT_S = 60.0
RECOVERY_TIMEOUT_S = 90.0
CLINICIAN = "load-clinician"
DATABASE = "prognosis"
LOGS = REPO_ROOT / "var/resilience"  # the services' logs of the last run, kept for a look after a failure

# A clear error: 503 with Retry-After and one of the sentences the portal shows for an outage.
CLEAR_SENTENCES = ("temporarily unavailable", "not reachable just now")
CASE_LINK = re.compile(r"^/cases/([A-Za-z0-9_-]{32})$")
SAVE_LINK = re.compile(r'href="/cases/new/([A-Za-z0-9_-]{32})"')
WORKLIST_LINK = re.compile(r'href="/workspace/cases/([A-Za-z0-9_-]{32})"')


@dataclass
class Outcome:
    kind: str
    phase: str
    result: str  # "ok", "503 clear", or what went wrong
    seconds: float | None  # None when no response came


@dataclass
class Ledger:
    """Everything the users saw, shared by their threads; `phase` is set by the conductor."""

    phase: str = ""
    outcomes: list = field(default_factory=list)
    handed_out: set = field(default_factory=set)  # case references in a redirect after the save
    acknowledged: set = field(default_factory=set)  # shown to the patient as saved, or 201 to the integrator
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome):
        with self.lock:
            self.outcomes.append(outcome)


class User:
    """One person at a browser (or a program): a cookie jar, and every request recorded in the ledger."""

    def __init__(self, base, ledger, stop, seed):
        self.base = base
        self.ledger = ledger
        self.stop = stop
        self.random = random.Random(seed)
        self.session = requests.Session()

    def call(self, kind, method, path, expect, clear_503_will_do=False, **options):
        """The response when its status is `expect` (or a clear 503, if that will do), else None; the outcome goes
        to the ledger either way."""
        phase = self.ledger.phase
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, timeout=CLIENT_TIMEOUT_S, allow_redirects=False,
                                            **options)  # fmt: skip
        except requests.Timeout:
            self.ledger.add(Outcome(kind, phase, "no answer (hang)", None))
            return None
        except requests.ConnectionError:
            self.ledger.add(Outcome(kind, phase, "connection failed", None))
            return None
        seconds = time.perf_counter() - started
        for cookie in self.session.cookies:  # debug is off, so cookies are Secure: send them over loopback HTTP
            cookie.secure = False  # as browsers do for localhost
        result = judge(response, expect) if seconds <= HANG_S else f"answered after > {HANG_S:.0f} s (hang)"
        self.ledger.add(Outcome(kind, phase, result, seconds))
        return response if result == "ok" or (clear_503_will_do and result == "503 clear") else None

    def csrf(self):
        return self.session.cookies.get("csrftoken", "")

    def pause(self, seconds=0.5):
        self.stop.wait(self.random.uniform(0.5, 1.5) * seconds)

    def run(self):
        while not self.stop.is_set():
            try:
                self.visit()
            except (ValueError, KeyError) as error:  # an answer the user cannot read counts against the portal
                outcome = Outcome(type(self).__name__.lower(), self.ledger.phase, f"unreadable ({error!r})", None)
                self.ledger.add(outcome)
            self.pause()


def judge(response, expect):
    if response.status_code == expect:
        return "ok"
    if response.status_code == 503:
        clear = "Retry-After" in response.headers and any(s in response.text.lower() for s in CLEAR_SENTENCES)
        return "503 clear" if clear else "503 unclear"
    return str(response.status_code)


class Patient(User):
    """Uploads an X-ray, reads the result (or, when the model is away, saves anyway) and saves the case."""

    def visit(self):
        if not self.csrf() and not self.call("patient upload form", "GET", "/upload", 200):
            return
        xray = self.random.choice(SAMPLE_XRAYS)
        # The result, or the model's 503 that keeps the upload and links to the save form: either way, go on.
        uploaded = self.call("patient upload", "POST", "/upload", 200, clear_503_will_do=True,
                             data={"csrfmiddlewaretoken": self.csrf()},
                             files={"image": (xray.name, xray.read_bytes(), "image/jpeg")})  # fmt: skip
        if uploaded is None or not (link := SAVE_LINK.search(uploaded.text)):
            return
        token = link.group(1)
        self.pause()
        if self.call("patient save form", "GET", f"/cases/new/{token}", 200) is None:
            return
        for _ in range(3):  # the form keeps the answers after a 503: the person presses Save again
            saved = self.call("patient save", "POST", f"/cases/new/{token}", 302, data=self.answers())
            if saved is not None or self.stop.is_set():
                break
            self.pause(2)
        if saved is None or not (link := CASE_LINK.match(saved.headers["Location"])):
            return
        reference = link.group(1)
        with self.ledger.lock:
            self.ledger.handed_out.add(reference)
        page = self.call("patient case page", "GET", f"/cases/{reference}", 200)
        if page is not None and "data-status=" in page.text and reference in page.text:
            with self.ledger.lock:
                self.ledger.acknowledged.add(reference)

    def answers(self):
        number = self.random.randrange(10**6)
        return {
            "csrfmiddlewaretoken": self.csrf(), "patient_name": f"Load Test {number}", "age": "40", "sex": "unsaid",
            "email": f"load{number}@example.org", "symptoms": ["cough"], "test_status": "waiting", "consent": "on",
            "onset_date": (date.today() - timedelta(days=2)).isoformat(),
        }  # fmt: skip


class Clinician(User):
    """Signs in (the session lives in MongoDB, so it outlasts a portal restart), then reviews cases."""

    password = ""

    def visit(self):
        if self.random.random() < 0.1:  # a new shift: sign in again
            self.session.cookies.clear()
        if not self.session.cookies.get("sessionid"):
            if self.call("clinician sign-in form", "GET", "/workspace/login", 200) is None:
                return
            form = {"username": CLINICIAN, "password": self.password, "csrfmiddlewaretoken": self.csrf()}
            if self.call("clinician sign-in", "POST", "/workspace/login", 302, data=form) is None:
                return
        worklist = self.call("clinician worklist", "GET", "/workspace/cases", 200)
        if self.random.random() < 0.2:
            self.call("clinician dashboard", "GET", "/workspace/dashboard", 200)
        references = WORKLIST_LINK.findall(worklist.text) if worklist is not None else []
        if not references:
            return
        reference = self.random.choice(references)
        opened = self.call("clinician case", "GET", f"/workspace/cases/{reference}", 200)
        if opened is not None and self.random.random() < 0.5:
            advice = {"recommendation": "rt_pcr_test", "text": "Please get an RT-PCR test.", "sign_off": "on",
                      "csrfmiddlewaretoken": self.csrf()}  # fmt: skip
            self.call("clinician advice", "POST", f"/workspace/cases/{reference}", 302, data=advice)


class Integrator(User):
    """Calls the REST API with its key: predictions, case reads and, now and then, a new case."""

    key = ""

    def visit(self):
        headers = {"Authorization": f"Api-Key {self.key}"}
        xray = self.random.choice(SAMPLE_XRAYS)
        self.call("api predict", "POST", "/api/v1/predictions", 200, headers=headers,
                  files={"image": (xray.name, xray.read_bytes(), "image/jpeg")})  # fmt: skip
        listed = self.call("api cases list", "GET", "/api/v1/cases", 200, headers=headers)
        if listed is not None and (results := listed.json()["results"]):
            self.call("api case read", "GET", f"/api/v1/cases/{self.random.choice(results)['reference']}", 200,
                      headers=headers)  # fmt: skip
        if self.random.random() < 0.3:
            body = {"patient_name": "Load Test API", "age": 50, "sex": "unsaid", "email": "api@example.org",
                    "test_status": "not_tested", "consent": True, "image": base64.b64encode(xray.read_bytes()).decode()}
            created = self.call("api case create", "POST", "/api/v1/cases", 201, headers=headers, json=body)
            if created is not None:
                with self.ledger.lock:
                    self.ledger.handed_out.add(created.json()["reference"])
                    self.ledger.acknowledged.add(created.json()["reference"])


class System:
    """MongoDB stand-in (on disk), model server and portal on free loopback ports, in a temporary folder."""

    def __init__(self, folder: Path, logs: Path):
        self.folder = folder
        self.logs = logs
        self.mongo_port, self.grpc_port, self.rest_port, self.portal_port = (free_port() for _ in range(4))
        self.env = deployed_portal_env(
            mongo_uri(self.mongo_port), f"127.0.0.1:{self.grpc_port}",
            MONGO_DB=DATABASE, MONGO_TIMEOUT_MS=str(MONGO_TIMEOUT_MS), MODEL_TIMEOUT=str(MODEL_TIMEOUT_S),
        )  # fmt: skip
        self.mongo = self.model = self.portal = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.portal_port}"

    def start_mongo(self):
        self.mongo = start_mongo(self.mongo_port, self.folder / "mongo", self.logs / "mongo.log")

    def start_model(self):
        self.model = start_model_server(REPO_ROOT / "serving/models.config", self.grpc_port, self.rest_port,
                                        log_path=self.logs / "model-server.log").service  # fmt: skip

    def start_portal(self):
        self.portal = start_gunicorn(self.portal_port, self.env, self.logs / "portal.log")

    def manage(self, *args, extra_env=None):
        env = {**self.env, **(extra_env or {})}
        argv = [sys.executable, "manage.py", *args]
        return subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True)

    def start(self):
        """Start everything, with one clinician and one API key; returns (clinician's password, API key)."""
        self.start_mongo()
        prepare_deployed_portal(self.env)
        password = secrets.token_urlsafe(18)
        self.manage("shell", "-c", CREATE_CLINICIAN, extra_env={"LOAD_PASSWORD": password}).check_returncode()
        created = self.manage("create_api_key", "load-integrator", "--scopes", "predict,cases:read,cases:write",
                              "--rate", "100000/min")  # fmt: skip
        created.check_returncode()
        self.start_model()
        self.start_portal()
        return password, created.stdout.strip()

    def stop(self):
        for service in (self.portal, self.model, self.mongo):
            if service is not None:
                if service.process and service.process.poll() is None:
                    service.process.send_signal(signal.SIGCONT)  # a paused process cannot act on SIGTERM
                service.stop()

    def recovered(self, timeout=RECOVERY_TIMEOUT_S):
        """Seconds until /readyz said 200, or None if it did not within `timeout`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if http_ok(f"{self.base}/readyz", timeout=5):
                return time.monotonic() - started
            time.sleep(0.5)
        return None


PORTAL_RESTARTED = "portal restarted"  # the one phase in which connections may fail: nothing listens for a while
CREATE_CLINICIAN = """
import os
from django.contrib.auth.models import Group, User
user = User.objects.create_user("load-clinician", password=os.environ["LOAD_PASSWORD"], first_name="Load")
user.groups.add(Group.objects.get(name="clinician"))
"""


def faults(system, hold):
    """(phase name, fault) in order; each fault breaks something, waits `hold` seconds and repairs it."""

    def model_stopped():
        system.model.stop()
        time.sleep(hold)
        system.start_model()

    def model_hung():
        system.model.process.send_signal(signal.SIGSTOP)
        time.sleep(max(hold, 2.5 * MODEL_TIMEOUT_S))
        system.model.process.send_signal(signal.SIGCONT)

    def mongo_stopped():
        system.mongo.stop()
        time.sleep(hold)
        system.start_mongo()

    def portal_restarted():
        system.portal.stop()
        system.start_portal()
        time.sleep(hold)

    return [
        ("model server stopped, restarted", model_stopped),
        (f"model server hung > {MODEL_TIMEOUT_S} s deadline", model_hung),
        ("MongoDB stopped, restarted", mongo_stopped),
        (PORTAL_RESTARTED, portal_restarted),
    ]


def run_load(system, password, key, duration, users):
    """Run the users through a steady phase and each fault with a recovery phase after it."""
    ledger = Ledger()
    stop = threading.Event()
    Clinician.password, Integrator.key = password, key
    kinds = [Patient] * users["patients"] + [Clinician] * users["clinicians"] + [Integrator] * users["integrators"]
    threads = [threading.Thread(target=kind(system.base, ledger, stop, seed).run, daemon=True)
               for seed, kind in enumerate(kinds)]  # fmt: skip
    recoveries = {}
    ledger.phase = "steady"
    for thread in threads:
        thread.start()
    try:
        time.sleep(duration)
        for name, fault in faults(system, duration):
            ledger.phase = name
            fault()
            ledger.phase = f"recovery after: {name}"
            recoveries[name] = system.recovered()
            time.sleep(duration / 2)
    finally:
        ledger.phase = "stopping"
        stop.set()
        for thread in threads:
            thread.join(CLIENT_TIMEOUT_S)
    return ledger, recoveries


def check_cases(system, references):
    """What MongoDB holds for each reference: the case document, its files in GridFS, its prediction."""
    client = pymongo.MongoClient(mongo_uri(system.mongo_port), serverSelectionTimeoutMS=10000)
    database = client[DATABASE]
    stored = set()

    def in_gridfs(name):
        entry = database["case_files.files"].find_one({"filename": name})
        return entry is not None and database["case_files.chunks"].count_documents({"files_id": entry["_id"]}) > 0

    found = Counter()
    try:
        for case in database["cases_case"].find({"reference": {"$in": sorted(references)}}):
            stored.add(case["reference"])
            found["found in MongoDB"] += 1
            found["with X-ray and display copy in GridFS"] += in_gridfs(case["upload"]) and in_gridfs(case["display"])
            prediction = case.get("prediction")
            found["with prediction (and heatmap in GridFS)"] += bool(prediction) and in_gridfs(prediction["heatmap"])
    finally:
        client.close()
    return found, references - stored


def percentile(values, share):
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def failures(outcome):
    """Why an outcome is a failure ('' when it is not): the portal down is the one outage with no answer."""
    if outcome.result in ("ok", "503 clear"):
        return ""
    if outcome.result == "connection failed" and outcome.phase == PORTAL_RESTARTED:
        return ""
    return outcome.result


def report(ledger, recoveries, completion, found, lost):
    by_kind = defaultdict(list)
    for outcome in ledger.outcomes:
        by_kind[outcome.kind].append(outcome)
    rows = []
    for kind, outcomes in by_kind.items():
        seconds = [o.seconds * 1000 for o in outcomes if o.seconds is not None and o.result == "ok"]
        results = Counter(o.result for o in outcomes)
        errors = ", ".join(f"{result} ×{count}" for result, count in sorted(results.items()) if result != "ok")
        latency = [f"{percentile(seconds, 0.5):.0f}", f"{percentile(seconds, 0.95):.0f}"] if seconds else ["-", "-"]
        rows.append([kind, len(outcomes), results["ok"], errors or "-", *latency])
    print("\nRequests by kind (latency of the requests answered as expected)\n")
    print(table(["kind", "requests", "ok", "errors", "p50 ms", "p95 ms"], rows))

    by_phase = defaultdict(Counter)
    for outcome in ledger.outcomes:
        if outcome.result != "ok":
            by_phase[outcome.phase][(outcome.kind, outcome.result)] += 1
    phases = list(dict.fromkeys(o.phase for o in ledger.outcomes))
    rows = []
    for phase in phases:
        total = sum(1 for o in ledger.outcomes if o.phase == phase)
        errors = "; ".join(f"{kind}: {result} ×{count}" for (kind, result), count in sorted(by_phase[phase].items()))
        recovery = recoveries.get(phase.removeprefix("recovery after: ")) if phase.startswith("recovery") else None
        rows.append([phase, total, errors or "-", "" if not phase.startswith("recovery") else
                     (f"{recovery:.1f}" if recovery is not None else "NOT RECOVERED")])  # fmt: skip
    print("\nErrors by phase (requests counted by when they started)\n")
    print(table(["phase", "requests", "errors by kind", "/readyz 200 after (s)"], rows))

    print("\nCases\n")
    rows = [["references handed out (redirect to the case page, or API 201)", len(ledger.handed_out)],
            ["acknowledged (case page shown as saved, or API 201)", len(ledger.acknowledged)],
            *([name, count] for name, count in found.items()),
            ["predictions completed afterwards (complete_predictions)", completion],
            ["lost (handed out, not in MongoDB)", len(lost)]]  # fmt: skip
    print(table(["", "count"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of each phase (recoveries: half)")
    parser.add_argument("--quick", action="store_true", help="a short run: 6 s phases")
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--clinicians", type=int, default=2)
    parser.add_argument("--integrators", type=int, default=1)
    args = parser.parse_args(argv)
    duration = 6 if args.quick else args.duration
    users = {"patients": args.patients, "clinicians": args.clinicians, "integrators": args.integrators}

    started = time.monotonic()
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="resilience-") as folder:
        system = System(Path(folder), LOGS)
        try:
            print(f"starting the system in {folder}; logs in {LOGS}", flush=True)
            password, key = system.start()
            print(f"running the load ({users}) for about {duration * 5 + duration / 2 * 4:.0f} s of phases",
                  flush=True)
            ledger, recoveries = run_load(system, password, key, duration, users)
            recoveries["end"] = system.recovered()
            completed = system.manage("complete_predictions")
            completion = completed.stdout.strip() or completed.stderr.strip().splitlines()[-1]
            found, lost = check_cases(system, ledger.handed_out)
        finally:
            system.stop()
    report(ledger, recoveries, completion, found, lost)

    problems = Counter(reason for outcome in ledger.outcomes if (reason := failures(outcome)))
    verdict = [f"{count} × {reason}" for reason, count in problems.items()]
    verdict += [f"{len(lost)} case(s) lost"] if lost else []
    verdict += [f"no recovery after {name}" for name, seconds in recoveries.items() if seconds is None]
    verdict += ["complete_predictions failed"] if completed.returncode else []
    verdict += ["no case was acknowledged"] if not ledger.acknowledged else []
    print(f"\n{time.monotonic() - started:.0f} s in all. " + ("FAILED: " + "; ".join(verdict) if verdict else
          "PASSED: zero cases lost, only clear errors, recovered after every fault."))  # fmt: skip
    return 1 if verdict else 0


if __name__ == "__main__":
    sys.exit(main())
