#!/usr/bin/env python3
"""Set-up, load and verdict for scripts/ha-check.sh. Python 3 standard library only.

  load.py setup   --api URL --admin-token T --passengers N --out CONFIG.json
      Creates two A320 flights and bookings for N passengers through the admin API, signs every
      booking in and picks, per flight, a pool of economy seats that need no declaration.

  load.py run     --config CONFIG.json --records R.jsonl --acks A.jsonl --progress P.txt
                  --stop-file F [--clients 32] [--timeout 8] [--max-seconds S]
      Many client threads hold, confirm, read back and cancel seats on every instance until F
      exists (or S seconds have passed). Every request is recorded in R (instance, kind, start,
      end, status); every acknowledged confirmation, and everything that happened to such a hold
      afterwards (acknowledged cancels, unanswered cancel attempts, read-backs that disagree), in
      A. P is rewritten twice a second: requests, successful writes, latest start and end of a
      successful write (time.time() seconds), for the driving script to follow.

  load.py verdict --config CONFIG.json --records R.jsonl --acks A.jsonl --holds HOLDS.tsv
                  --live-dupes DUPES.tsv --kill-time T [--facts FACTS.json] ...
      Reads what the database says (exported through HAProxy by the driving script) and what the
      API says now, prints the figures and one summary line, exits 0 (PASS) or 1 (FAIL).

A passenger never places a new hold while it may still have a confirmed seat, so an
acknowledged confirmation can only end as CANCELLED through a cancel that this tool sent.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import socket
import sys
import threading
import time

WRITE_KINDS = ("hold", "confirm", "cancel")


# --- HTTP ------------------------------------------------------------------------------------------

class Endpoint:
    """One keep-alive connection to one instance, owned by one thread."""

    def __init__(self, name, base, timeout):
        assert base.startswith("http://")
        host_port = base[len("http://"):].rstrip("/")
        host, _, port = host_port.partition(":")
        self.name, self.host, self.port, self.timeout = name, host, int(port or 80), timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def call(self, method, path, body=None, token=None):
        """Returns (status, parsed JSON or None, start, end). status is the HTTP status as an int,
        or 'timeout' / 'conn-error:<Exception>' when no complete answer came."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        start = time.time()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            end = time.time()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (socket.timeout, TimeoutError):
            self.close()
            return "timeout", None, start, time.time()
        except Exception as error:  # refused, reset, closed before an answer
            self.close()
            return "conn-error:" + type(error).__name__, None, start, time.time()
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        return status, parsed, start, end


def simple_call(base, method, path, body=None, token=None, timeout=10.0):
    endpoint = Endpoint("setup", base, timeout)
    try:
        return endpoint.call(method, path, body, token)[:2]
    finally:
        endpoint.close()


# --- setup -----------------------------------------------------------------------------------------

def cmd_setup(args):
    api, admin = args.api.rstrip("/"), args.admin_token
    departure = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)) \
        .replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    flights = []
    per_flight = [args.passengers // args.flights + (1 if i < args.passengers % args.flights else 0)
                  for i in range(args.flights)]
    for index in range(args.flights):
        flight_id = f"HA{101 + index}"
        status, body = simple_call(api, "POST", "/admin/flights", {
            "flightId": flight_id, "flightNumber": f"HA{101 + index}", "origin": "LHR",
            "destination": "JFK", "departureTime": departure, "aircraftType": "A320"}, admin)
        if status != 201:
            sys.exit(f"creating flight {flight_id}: HTTP {status} {body}")
        status, seatmap = simple_call(api, "GET", f"/flights/{flight_id}/seatmap")
        if status != 200:
            sys.exit(f"reading the seat map of {flight_id}: HTTP {status}")
        seats = []
        for cabin in seatmap.get("cabins", []):
            if cabin.get("cabin") != "ECONOMY":
                continue
            for row in cabin.get("rows", []):
                for seat in row.get("seats", []):
                    if "EXIT_ROW" in seat.get("characteristics", []) or seat.get("price"):
                        continue
                    seats.append(seat["seatId"])
        random.Random(index).shuffle(seats)
        pool = seats[:args.seats_per_flight]
        if len(pool) < per_flight[index]:
            sys.exit(f"flight {flight_id}: only {len(pool)} suitable seats for {per_flight[index]} passengers")
        passengers = []
        remaining, booking_index = per_flight[index], 0
        while remaining > 0:
            size = min(8, remaining)
            reference = f"H{index + 1}{booking_index:04d}"
            last_name = f"Failover{index + 1}x{booking_index}"
            status, body = simple_call(api, "POST", "/admin/bookings", {
                "bookingReference": reference, "flightId": flight_id,
                "passengers": [{"firstName": f"Pax{n}", "lastName": last_name} for n in range(size)]}, admin)
            if status != 201:
                sys.exit(f"creating booking {reference}: HTTP {status} {body}")
            status, session = simple_call(api, "POST", "/sessions",
                                          {"bookingReference": reference, "lastName": last_name})
            if status != 201 or not session.get("token"):
                sys.exit(f"signing in to {reference}: HTTP {status} {session}")
            for passenger in session["passengers"]:
                passengers.append({"passengerId": passenger["passengerId"], "flightId": flight_id,
                                   "token": session["token"], "booking": reference})
            remaining -= size
            booking_index += 1
        flights.append({"flightId": flight_id, "seats": pool, "passengers": passengers})
    config = {"instances": {}, "flights": flights}
    for item in args.instance:
        name, _, base = item.partition("=")
        config["instances"][name] = base.rstrip("/")
    with open(args.out, "w") as handle:
        json.dump(config, handle, indent=1)
    total = sum(len(f["passengers"]) for f in flights)
    print(f"{len(flights)} flights ({', '.join(f['flightId'] for f in flights)}), {total} passengers signed in, "
          f"seat pools of {', '.join(str(len(f['seats'])) for f in flights)} seats")


# --- load ------------------------------------------------------------------------------------------

class Recorder:
    def __init__(self, records_path, acks_path, progress_path):
        self.lock = threading.Lock()
        self.records = open(records_path, "w", buffering=1 << 16)
        self.acks = open(acks_path, "w", buffering=1)
        self.progress_path = progress_path
        self.requests = 0
        self.ok_writes = 0
        self.last_ok_write_start = 0.0
        self.last_ok_write_end = 0.0

    def request(self, instance, kind, start, end, status, **extra):
        line = {"instance": instance, "kind": kind, "start": round(start, 4), "end": round(end, 4), "status": status}
        line.update(extra)
        text = json.dumps(line, separators=(",", ":")) + "\n"
        with self.lock:
            self.records.write(text)
            self.requests += 1
            if kind in WRITE_KINDS and status in (200, 201):
                self.ok_writes += 1
                self.last_ok_write_start = max(self.last_ok_write_start, start)
                self.last_ok_write_end = max(self.last_ok_write_end, end)

    def ack(self, event, **fields):
        fields["event"] = event
        fields.setdefault("t", round(time.time(), 4))
        text = json.dumps(fields, separators=(",", ":")) + "\n"
        with self.lock:
            self.acks.write(text)

    def write_progress(self):
        with self.lock:
            text = f"{self.requests} {self.ok_writes} {self.last_ok_write_start:.4f} {self.last_ok_write_end:.4f}\n"
        tmp = self.progress_path + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(text)
        os.replace(tmp, self.progress_path)

    def close(self):
        with self.lock:
            self.records.close()
            self.acks.close()


class Passenger:
    def __init__(self, spec):
        self.pid = spec["passengerId"]
        self.flight = spec["flightId"]
        self.token = spec["token"]
        self.confirmed = None        # hold id of the seat this passenger has (or may have) confirmed
        self.confirmed_seat = None
        self.acked = False           # whether that confirmation was acknowledged (HTTP 200)
        self.cancel_sent = False     # a cancel of it went out without a clear answer
        self.unresolved = False      # an outcome we could not learn: the passenger sits out


class Load:
    def __init__(self, args, config):
        self.args = args
        self.instances = sorted(config["instances"].items())
        self.pools = {f["flightId"]: f["seats"] for f in config["flights"]}
        specs = [p for f in config["flights"] for p in f["passengers"]]
        random.Random(7).shuffle(specs)
        self.passengers = [Passenger(s) for s in specs]
        self.recorder = Recorder(args.records, args.acks, args.progress)
        self.stop = threading.Event()
        self.deadline = time.time() + args.max_seconds

    def stopping(self):
        if self.stop.is_set():
            return True
        if os.path.exists(self.args.stop_file) or time.time() >= self.deadline:
            self.stop.set()
            return True
        return False

    def send(self, endpoints, rng, kind, method, path, passenger, body=None, instance=None, **extra):
        name = instance or rng.choice(list(endpoints))
        status, parsed, start, end = endpoints[name].call(method, path, body, passenger.token)
        self.recorder.request(name, kind, start, end, status, **extra)
        return status, parsed, name, start, end

    def resolve(self, endpoints, rng, passenger, hold_id):
        """Reads the hold until some instance answers; returns its state, or None if the run ended
        first."""
        while not self.stopping():
            status, parsed, _, _, _ = self.send(endpoints, rng, "resolve", "GET", f"/holds/{hold_id}", passenger,
                                                holdId=hold_id)
            if status == 200 and parsed and parsed.get("state"):
                return parsed["state"]
            if status == 404:
                return "NOT_FOUND"
            time.sleep(0.5)
        return None

    def place_and_confirm(self, endpoints, rng, p):
        seat = rng.choice(self.pools[p.flight])
        status, parsed, _, _, _ = self.send(endpoints, rng, "hold", "POST", f"/flights/{p.flight}/seats/{seat}/hold",
                                            p, {"passengerId": p.pid}, seat=seat)
        if status != 201 or not parsed or not parsed.get("holdId"):
            # 409: taken. Anything else left at most a HELD hold behind, which this passenger's
            # next hold releases or which expires: no confirmed seat can come of it.
            return
        hold_id = parsed["holdId"]
        status, parsed, name, start, end = self.send(endpoints, rng, "confirm", "POST", f"/holds/{hold_id}/confirm",
                                                     p, holdId=hold_id, seat=seat)
        if status == 200:
            p.confirmed, p.confirmed_seat, p.acked, p.cancel_sent = hold_id, seat, True, False
            self.recorder.ack("confirmed", holdId=hold_id, seatId=seat, passengerId=p.pid, flightId=p.flight,
                              instance=name, start=round(start, 4), end=round(end, 4))
            return
        # No acknowledgement: learn what happened before this passenger does anything else, so
        # that a confirmation that did commit is never replaced by a seat change.
        state = self.resolve(endpoints, rng, p, hold_id)
        if state == "CONFIRMED":
            p.confirmed, p.confirmed_seat, p.acked, p.cancel_sent = hold_id, seat, False, False
            self.recorder.ack("confirmed-unacknowledged", holdId=hold_id, seatId=seat, passengerId=p.pid,
                              flightId=p.flight, status=status)
        elif state is None:
            p.unresolved = True
            self.recorder.ack("unresolved", holdId=hold_id, seatId=seat, passengerId=p.pid, after="confirm",
                              status=status)

    def cancel(self, endpoints, rng, p):
        hold_id, seat = p.confirmed, p.confirmed_seat
        status, parsed, name, start, end = self.send(endpoints, rng, "cancel", "POST", f"/holds/{hold_id}/cancel", p,
                                                     holdId=hold_id, seat=seat)
        if status == 200:
            if p.acked:
                self.recorder.ack("cancelled", holdId=hold_id, seatId=seat, passengerId=p.pid, flightId=p.flight,
                                  instance=name, start=round(start, 4), end=round(end, 4))
            p.confirmed = p.confirmed_seat = None
            return
        unanswered = not isinstance(status, int) or status >= 500
        if p.acked:
            # Every cancel sent for an acknowledged confirmation is on record. Without a clear
            # answer (none, or a 5xx) it may or may not have taken effect. A 4xx answer says the
            # seat was not CONFIRMED: fine after an earlier unanswered cancel, a loss otherwise.
            self.recorder.ack("cancel-unanswered" if unanswered else "cancel-refused", holdId=hold_id, seatId=seat,
                              passengerId=p.pid, flightId=p.flight, status=status, instance=name,
                              earlierUnanswered=p.cancel_sent)
        if unanswered:
            p.cancel_sent = True
        state = self.resolve(endpoints, rng, p, hold_id)
        if state is None:
            p.unresolved = True
            self.recorder.ack("unresolved", holdId=hold_id, seatId=seat, passengerId=p.pid, after="cancel",
                              status=status)
        elif state != "CONFIRMED":
            p.confirmed = p.confirmed_seat = None

    def read_back(self, endpoints, rng, p):
        status, parsed, name, _, _ = self.send(endpoints, rng, "read", "GET", f"/holds/{p.confirmed}", p,
                                               holdId=p.confirmed)
        gone = status == 404 or (status == 200 and parsed and parsed.get("state") != "CONFIRMED")
        if not gone:
            return
        if p.acked and not p.cancel_sent:
            # An acknowledged confirmation that no cancel of ours can have touched.
            self.recorder.ack("readback-mismatch", holdId=p.confirmed, seatId=p.confirmed_seat, passengerId=p.pid,
                              flightId=p.flight, status=status, state=(parsed or {}).get("state"), instance=name)
        # Either way the passenger no longer has the seat (an unanswered cancel took effect late).
        p.confirmed = p.confirmed_seat = None

    def client(self, index, mine):
        rng = random.Random(1000 + index)
        endpoints = {name: Endpoint(name, base, self.args.timeout) for name, base in self.instances}
        try:
            while not self.stopping():
                active = [p for p in mine if not p.unresolved]
                if not active:
                    time.sleep(0.2)
                    continue
                p = rng.choice(active)
                if p.confirmed is None:
                    self.place_and_confirm(endpoints, rng, p)
                elif rng.random() < self.args.cancel_probability:
                    self.cancel(endpoints, rng, p)
                else:
                    self.read_back(endpoints, rng, p)
        finally:
            for endpoint in endpoints.values():
                endpoint.close()

    def ready_poller(self, name, base):
        endpoint = Endpoint(name, base, self.args.timeout)
        while not self.stopping():
            status, _, start, end = endpoint.call("GET", "/health/ready")
            self.recorder.request(name, "ready", start, end, status)
            endpoint.close()
            self.stop.wait(0.5)

    def progress(self):
        while not self.stop.wait(0.5):
            self.stopping()
            self.recorder.write_progress()

    def run(self):
        clients = self.args.clients
        groups = [self.passengers[i::clients] for i in range(clients)]
        threads = [threading.Thread(target=self.client, args=(i, g), daemon=True) for i, g in enumerate(groups) if g]
        for name, base in self.instances:
            threads.append(threading.Thread(target=self.ready_poller, args=(name, base), daemon=True))
        reporter = threading.Thread(target=self.progress, daemon=True)
        reporter.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            # A client finishes its request in flight (at most the timeout) and then stops.
            thread.join()
        self.stop.set()
        reporter.join()
        self.recorder.write_progress()
        for p in self.passengers:
            if p.confirmed and not p.unresolved:
                self.recorder.ack("holding-at-end", holdId=p.confirmed, seatId=p.confirmed_seat, passengerId=p.pid,
                                  flightId=p.flight, acknowledged=p.acked)
        self.recorder.close()
        print(f"load: {self.recorder.requests} requests, {self.recorder.ok_writes} successful writes, "
              f"{len(threads) - len(self.instances)} clients")


def cmd_run(args):
    with open(args.config) as handle:
        config = json.load(handle)
    Load(args, config).run()


# --- verdict ---------------------------------------------------------------------------------------

def read_jsonl(path):
    items = []
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line:
                try:
                    items.append(json.loads(line))
                except ValueError:
                    pass  # a line cut short by a kill
    return items


def bucket(status):
    if status == "timeout":
        return "timeout"
    if isinstance(status, str):
        return "no answer"
    if status in (200, 201, 409, 410, 503):
        return str(status)
    if 500 <= status <= 599:
        return "other 5xx"
    return "other 4xx" if 400 <= status <= 499 else "other"


BUCKETS = ["200", "201", "409", "410", "503", "other 5xx", "other 4xx", "timeout", "no answer", "other"]


def cmd_verdict(args):
    with open(args.config) as handle:
        config = json.load(handle)
    facts = {}
    if args.facts and os.path.exists(args.facts):
        with open(args.facts) as handle:
            facts = json.load(handle)
    records = read_jsonl(args.records)
    acks = read_jsonl(args.acks)
    kill = args.kill_time
    limit = args.store_timeout + args.margin
    reasons = []
    out = []

    def say(text=""):
        out.append(text)

    traffic = [r for r in records if r["kind"] != "ready"]
    writes = [r for r in traffic if r["kind"] in WRITE_KINDS]
    if not traffic:
        reasons.append("the load generator recorded no request")

    # (c) write outage: from the kill to the first successful write that started after it.
    after_kill_ok = [r for r in writes if r["status"] in (200, 201) and r["start"] >= kill]
    recovered = min((r["end"] for r in after_kill_ok), default=None)
    last_ok_before = max((r["end"] for r in writes if r["status"] in (200, 201) and r["start"] < kill), default=None)
    outage = (recovered - kill) if recovered is not None else None

    # (e) statuses per phase.
    def phase(r):
        if r["start"] < kill:
            return "before"
        if recovered is None or r["start"] < recovered:
            return "during"
        return "after"

    table = {ph: {b: 0 for b in BUCKETS} for ph in ("before", "during", "after")}
    span = {ph: [None, None] for ph in table}
    for r in traffic:
        ph = phase(r)
        table[ph][bucket(r["status"])] += 1
        s = span[ph]
        s[0] = r["start"] if s[0] is None else min(s[0], r["start"])
        s[1] = r["end"] if s[1] is None else max(s[1], r["end"])

    # (d) slow requests.
    timeouts = [r for r in traffic if r["status"] == "timeout"]
    slowest = max(traffic, key=lambda r: r["end"] - r["start"], default=None)
    over = [r for r in traffic if r["end"] - r["start"] > limit]
    no_answer = [r for r in traffic if isinstance(r["status"], str) and r["status"] != "timeout"]
    other5xx = [r for r in traffic if isinstance(r["status"], int) and 500 <= r["status"] <= 599 and r["status"] != 503]

    # (a) acknowledged confirmations against the database.
    holds = {}
    with open(args.holds) as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 6:
                holds[parts[0]] = {"flight": parts[1], "seat": parts[2], "passenger": parts[3], "state": parts[4],
                                   "live": parts[5] == "t"}
    confirmed_acks = {}
    cancelled_acks = set()
    cancel_attempts = {}
    refused = []
    readback = []
    unresolved = []
    unacked_committed = 0
    for a in acks:
        event = a["event"]
        if event == "confirmed":
            confirmed_acks[a["holdId"]] = a
        elif event == "cancelled":
            cancelled_acks.add(a["holdId"])
        elif event == "cancel-unanswered":
            cancel_attempts.setdefault(a["holdId"], []).append(a.get("status"))
        elif event == "cancel-refused" and not a.get("earlierUnanswered"):
            refused.append(a)
        elif event == "readback-mismatch":
            readback.append(a)
        elif event == "unresolved":
            unresolved.append(a)
        elif event == "confirmed-unacknowledged":
            unacked_committed += 1
    must_stay, lost, cancel_not_applied, either = [], [], [], {"CONFIRMED": 0, "CANCELLED": 0, "other": 0}
    for hold_id, a in confirmed_acks.items():
        row = holds.get(hold_id)
        state = row["state"] if row else "MISSING"
        if hold_id in cancelled_acks:
            if state != "CANCELLED":
                cancel_not_applied.append((hold_id, a, state))
        elif hold_id in cancel_attempts:
            either[state if state in ("CONFIRMED", "CANCELLED") else "other"] += 1
            if state not in ("CONFIRMED", "CANCELLED"):
                lost.append((hold_id, a, state))
        else:
            must_stay.append(hold_id)
            if state != "CONFIRMED":
                lost.append((hold_id, a, state))
    acked_before_kill = sum(1 for a in confirmed_acks.values() if a["end"] < kill)

    # (b) no seat with two live holds (the driving script ran the query through HAProxy).
    dupes = []
    if os.path.exists(args.live_dupes):
        with open(args.live_dupes) as handle:
            dupes = [line.strip() for line in handle if line.strip()]

    # The API's view now: every seat that must still be confirmed reads CONFIRMED, in the hold
    # and in both instances' seat maps.
    api_problems = []
    tokens = {p["passengerId"]: p["token"] for f in config["flights"] for p in f["passengers"]}
    instances = sorted(config["instances"].items())
    api_checked = 0
    if must_stay and instances:
        for i, hold_id in enumerate(must_stay):
            a = confirmed_acks[hold_id]
            name, base = instances[i % len(instances)]
            status, body = simple_call(base, "GET", f"/holds/{hold_id}", token=tokens.get(a["passengerId"]),
                                       timeout=args.store_timeout + args.margin)
            api_checked += 1
            if status != 200 or (body or {}).get("state") != "CONFIRMED":
                api_problems.append(f"GET /holds/{hold_id} on {name}: {status} {(body or {}).get('state')}")
        for name, base in instances:
            for flight in config["flights"]:
                status, seatmap = simple_call(base, "GET", f"/flights/{flight['flightId']}/seatmap",
                                              timeout=args.store_timeout + args.margin)
                if status != 200 or not seatmap:
                    api_problems.append(f"seat map of {flight['flightId']} on {name}: {status}")
                    continue
                states = {s["seatId"]: s["state"] for c in seatmap.get("cabins", []) for r in c.get("rows", [])
                          for s in r.get("seats", [])}
                for hold_id in must_stay:
                    a = confirmed_acks[hold_id]
                    if a["flightId"] == flight["flightId"] and states.get(a["seatId"]) != "CONFIRMED":
                        api_problems.append(f"seat map of {a['flightId']} on {name}: {a['seatId']} is "
                                            f"{states.get(a['seatId'])}, not CONFIRMED")

    # Readiness as the instances reported it around the failover.
    ready_lines = []
    for name, _ in instances:
        probes = sorted((r for r in records if r["kind"] == "ready" and r["instance"] == name), key=lambda r: r["start"])
        after = [r for r in probes if r["start"] >= kill]
        first_bad = next((r for r in after if r["status"] != 200), None)
        back = None
        if first_bad:
            back = next((r for r in after if r["start"] > first_bad["start"] and r["status"] == 200), None)
        slowest_probe = max((r["end"] - r["start"] for r in probes), default=0.0)
        statuses = {}
        for r in after:
            statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        if first_bad:
            text = (f"first probe not answered 200 sent at +{first_bad['start'] - kill:.1f} s ({first_bad['status']})"
                    + (f", 200 again at +{back['end'] - kill:.1f} s" if back else ", never 200 again"))
        else:
            text = "answered 200 throughout" if after else "no probe after the kill"
        ready_lines.append(f"    {name}: {text}; statuses after the kill {statuses}; slowest probe {slowest_probe:.2f} s")

    # --- the report ----------------------------------------------------------------------------
    def rel(t):
        return "-" if t is None else f"{t - kill:+.1f} s"

    say("ha-check: ---------------------------------------------------------------- results")
    for line in facts.get("lines", []):
        say(f"ha-check: {line}")
    say(f"ha-check: load: {len(traffic)} requests ({len(writes)} writes) from {args.clients} clients on "
        f"{len(instances)} instances, {rel(span['before'][0])} to {rel(max((s[1] for s in span.values() if s[1]), default=None))} "
        f"around the kill")
    say("ha-check: (c) write outage: " + (
        f"{outage:.1f} s from the kill to the first successful write after it "
        f"(last success before it ended {rel(last_ok_before)}; limit {args.max_outage:.0f} s)"
        if outage is not None else "no write succeeded after the kill"))
    say(f"ha-check: (d) slowest request {slowest['end'] - slowest['start']:.2f} s ({slowest['kind']} on "
        f"{slowest['instance']}, status {slowest['status']}, started {rel(slowest['start'])}); "
        f"{len(timeouts)} client timeouts at {args.timeout:.0f} s; {len(over)} over {limit:.0f} s "
        f"(store deadline {args.store_timeout:.0f} s + margin {args.margin:.0f} s)"
        if slowest else "ha-check: (d) no requests")
    say("ha-check: (e) statuses by phase (before the kill / kill to first successful write / after):")
    always = ("200", "201", "409", "410", "503", "other 5xx")
    shown = [b for b in BUCKETS if b in always or any(table[ph][b] for ph in table)]
    say("ha-check:     " + f"{'phase':<8}" + "".join(f"{b:>11}" for b in shown) + f"{'span':>16}")
    for ph in ("before", "during", "after"):
        s = span[ph]
        width = f"{(s[1] - s[0]):.1f} s" if s[0] is not None else "-"
        say("ha-check:     " + f"{ph:<8}" + "".join(f"{table[ph][b]:>11}" for b in shown) + f"{width:>16}")
    kinds = {}
    for r in traffic:
        if phase(r) == "during":
            key = (r["kind"], bucket(r["status"]))
            kinds[key] = kinds.get(key, 0) + 1
    if kinds:
        say("ha-check:     during, by kind: " + ", ".join(f"{k} {b}: {n}" for (k, b), n in sorted(kinds.items())))
    say(f"ha-check: (a) acknowledged confirmations: {len(confirmed_acks)} ({acked_before_kill} before the kill); "
        f"{len(cancelled_acks & set(confirmed_acks))} cancelled by an acknowledged cancel; "
        f"{sum(1 for h in confirmed_acks if h in cancel_attempts and h not in cancelled_acks)} with an unanswered "
        f"cancel (now {either['CONFIRMED']} CONFIRMED, {either['CANCELLED']} CANCELLED, either is right); "
        f"{len(must_stay)} must still be CONFIRMED: {len(must_stay) - sum(1 for l in lost if l[0] in must_stay)} are")
    say(f"ha-check:     lost confirmations: {len(lost)}; acknowledged cancels not applied: {len(cancel_not_applied)}; "
        f"read-backs that disagreed during the run: {len(readback)}; cancels refused: {len(refused)}; confirmations that committed without an "
        f"answer: {unacked_committed}; outcomes never learnt: {len(unresolved)}")
    for hold_id, a, state in lost[:10]:
        say(f"ha-check:     LOST {hold_id} seat {a['flightId']}/{a['seatId']} passenger {a['passengerId']}: "
            f"confirmed {rel(a['end'])} on {a['instance']}, now {state}")
    for hold_id, a, state in cancel_not_applied[:10]:
        say(f"ha-check:     CANCEL NOT APPLIED {hold_id} seat {a['flightId']}/{a['seatId']}: now {state}")
    for a in readback[:5]:
        say(f"ha-check:     read-back {a['holdId']} on {a['instance']}: {a['status']} {a.get('state')}")
    for a in refused[:5]:
        say(f"ha-check:     cancel refused {a['holdId']} on {a['instance']}: {a['status']}")
    say(f"ha-check: (b) seats with two live holds: {len(dupes)}" + (f" ({'; '.join(dupes[:5])})" if dupes else ""))
    say(f"ha-check: API now: {api_checked} holds read back, seat maps of {len(config['flights'])} flights on "
        f"{len(instances)} instances: {len(api_problems)} disagreements with the database")
    for problem in api_problems[:5]:
        say(f"ha-check:     {problem}")
    say("ha-check: /health/ready after the kill:")
    for line in ready_lines:
        say("ha-check: " + line)

    # --- the verdict ---------------------------------------------------------------------------
    if outage is None:
        reasons.append("no write succeeded after the kill")
    elif outage > args.max_outage:
        reasons.append(f"write outage {outage:.1f} s > {args.max_outage:.0f} s")
    if lost:
        reasons.append(f"{len(lost)} acknowledged confirmations lost")
    if cancel_not_applied:
        reasons.append(f"{len(cancel_not_applied)} acknowledged cancels not applied")
    if dupes:
        reasons.append(f"{len(dupes)} seats with two live holds")
    if timeouts or over:
        reasons.append(f"{len(timeouts)} requests hung past the {args.timeout:.0f} s client timeout"
                       + (f" ({len(over)} over {limit:.0f} s)" if over else ""))
    ready_hung = [r for r in records if r["kind"] == "ready" and (r["status"] == "timeout" or r["end"] - r["start"] > limit)]
    if ready_hung:
        reasons.append(f"/health/ready hung past {args.timeout:.0f} s {len(ready_hung)} times (it must answer 503 "
                       f"within the store deadline)")
    if other5xx:
        statuses = sorted({r["status"] for r in other5xx})
        reasons.append(f"{len(other5xx)} answers with 5xx other than 503 ({', '.join(map(str, statuses))})")
    if no_answer:
        reasons.append(f"{len(no_answer)} requests with no HTTP answer (connection refused or reset)")
    if refused:
        reasons.append(f"{len(refused)} cancels of acknowledged confirmations refused (seat no longer CONFIRMED)")
    if readback:
        reasons.append(f"{len(readback)} read-backs of acknowledged confirmations disagreed")
    if api_problems:
        reasons.append(f"{len(api_problems)} API answers after the run disagree with the database")
    for reason in facts.get("reasons", []):
        reasons.append(reason)

    for line in out:
        print(line)
    outage_text = f"{outage:.1f} s" if outage is not None else "none"
    slow_text = f"{slowest['end'] - slowest['start']:.1f} s" if slowest else "-"
    during = table["during"]
    figures = (f"outage {outage_text}, {len(lost)} lost of {len(confirmed_acks)} acknowledged confirmations, "
               f"{len(dupes)} double-booked seats, {len(timeouts)} timeouts, slowest {slow_text}, "
               f"during failover 503x{during['503']} 5xx-other x{during['other 5xx']}")
    summary = f"ha-check: PASS {figures}" if not reasons else "ha-check: FAIL " + "; ".join(reasons) + f" [{figures}]"
    with open(args.summary, "w") as handle:
        handle.write(summary + "\n")
    return 0 if not reasons else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    setup = sub.add_parser("setup")
    setup.add_argument("--api", required=True)
    setup.add_argument("--admin-token", required=True)
    setup.add_argument("--passengers", type=int, default=96)
    setup.add_argument("--flights", type=int, default=2)
    setup.add_argument("--seats-per-flight", type=int, default=60)
    setup.add_argument("--instance", action="append", default=[], help="NAME=URL, once per instance")
    setup.add_argument("--out", required=True)

    run = sub.add_parser("run")
    run.add_argument("--config", required=True)
    run.add_argument("--records", required=True)
    run.add_argument("--acks", required=True)
    run.add_argument("--progress", required=True)
    run.add_argument("--stop-file", required=True)
    run.add_argument("--clients", type=int, default=32)
    run.add_argument("--timeout", type=float, default=8.0)
    run.add_argument("--max-seconds", type=float, default=180.0)
    run.add_argument("--cancel-probability", type=float, default=0.3)

    verdict = sub.add_parser("verdict")
    verdict.add_argument("--config", required=True)
    verdict.add_argument("--records", required=True)
    verdict.add_argument("--acks", required=True)
    verdict.add_argument("--holds", required=True)
    verdict.add_argument("--live-dupes", required=True)
    verdict.add_argument("--kill-time", type=float, required=True)
    verdict.add_argument("--facts")
    verdict.add_argument("--summary", required=True)
    verdict.add_argument("--clients", type=int, default=32)
    verdict.add_argument("--timeout", type=float, default=8.0)
    verdict.add_argument("--store-timeout", type=float, default=2.0)
    verdict.add_argument("--margin", type=float, default=6.0)
    verdict.add_argument("--max-outage", type=float, default=30.0)

    args = parser.parse_args()
    if args.command == "setup":
        cmd_setup(args)
    elif args.command == "run":
        cmd_run(args)
    else:
        sys.exit(cmd_verdict(args))


if __name__ == "__main__":
    main()
