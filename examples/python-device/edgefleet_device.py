#!/usr/bin/env python3
"""A small EdgeFleet device in Python, written from docs/protocol.md alone.

Uses only the standard library and Debian's python3-paho-mqtt (paho-mqtt 1.6 or 2.x):

  1. registers itself through the operator API (POST /api/v1/devices), unless its
     credentials are already in CREDENTIALS_FILE;
  2. connects over MQTT 3.1.1 with client id = username = device id and its password, or,
     over MQTTS (EDGEFLEET_MQTT_URL=mqtts://...) with CERT_FILE and KEY_FILE, by its X.509
     client certificate alone (mutual TLS; docs/protocol.md 1.1);
  3. reports its state, applies desired-state deltas, and runs config jobs
     (accepted -> installing -> succeeded, with the config merged into reported state);
     firmware jobs are rejected: this example has nothing to flash;
  4. announces its presence on devices/<id>/presence (online after each CONNECT, offline
     as its Last Will and before a clean disconnect), which the server needs behind an
     external broker and the embedded broker ignores.

Environment:
  EDGEFLEET_URL       operator API base URL        (default http://127.0.0.1:3000)
  EDGEFLEET_TOKEN     operator API token           (needed only to register)
  EDGEFLEET_MQTT_URL  broker, mqtt://host:port     (default mqtt://127.0.0.1:1883)
  DEVICE_ID           device id                    (default py-<hostname>)
  DEVICE_TYPE         device type                  (default python)
  CREDENTIALS_FILE    where the password is kept   (default ./<DEVICE_ID>.credentials.json)
  CERT_FILE, KEY_FILE the device certificate (CN = DEVICE_ID) and its key, PEM: sign in by
                      certificate instead of a password (needs mqtts://)
  CA_FILE             CA the MQTTS server certificate is checked against (default: the fleet
                      CA, fetched from EDGEFLEET_URL/api/v1/ca)
  EXIT_AFTER_JOBS     exit 0 after this many jobs reached a final status (default: run forever)
"""

import json
import os
import signal
import socket
import ssl
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import paho.mqtt.client as mqtt

API = os.environ.get("EDGEFLEET_URL", "http://127.0.0.1:3000").rstrip("/")
TOKEN = os.environ.get("EDGEFLEET_TOKEN", "")
BROKER = urllib.parse.urlparse(os.environ.get("EDGEFLEET_MQTT_URL", "mqtt://127.0.0.1:1883"))
DEVICE_ID = os.environ.get("DEVICE_ID", "py-" + socket.gethostname())
DEVICE_TYPE = os.environ.get("DEVICE_TYPE", "python")
CREDENTIALS_FILE = os.environ.get("CREDENTIALS_FILE", "./%s.credentials.json" % DEVICE_ID)
CERT_FILE = os.environ.get("CERT_FILE", "")
KEY_FILE = os.environ.get("KEY_FILE", "")
CA_FILE = os.environ.get("CA_FILE", "")
EXIT_AFTER_JOBS = int(os.environ.get("EXIT_AFTER_JOBS", "0"))
FIRMWARE_VERSION = "py-1.0.0"

PREFIX = "devices/%s/" % DEVICE_ID
FINAL = ("succeeded", "failed", "rejected")


def log(line):
    print(line, flush=True)


def register():
    """Returns the device password: from the credentials file, or by registering."""
    if os.path.exists(CREDENTIALS_FILE):
        with open(CREDENTIALS_FILE) as f:
            return json.load(f)["password"]
    if not TOKEN:
        sys.exit("EDGEFLEET_TOKEN is needed to register %s" % DEVICE_ID)
    body = json.dumps({"id": DEVICE_ID, "type": DEVICE_TYPE, "tags": {"lang": "python"}}).encode()
    request = urllib.request.Request(
        API + "/api/v1/devices",
        data=body,
        method="POST",
        headers={"authorization": "Bearer " + TOKEN, "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            password = json.load(response)["credentials"]["password"]
    except urllib.error.HTTPError as error:
        sys.exit("registration failed: HTTP %d %s" % (error.code, error.read().decode()))
    fd = os.open(CREDENTIALS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"id": DEVICE_ID, "password": password}, f)
    log("registered %s" % DEVICE_ID)
    return password


def merge(target, patch):
    """RFC 7396 JSON merge patch: null deletes, objects merge, anything else replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            inner = target.get(key)
            target[key] = merge(inner if isinstance(inner, dict) else {}, value)
        else:
            target[key] = value
    return target


class Device:
    def __init__(self, client):
        self.client = client
        self.reported = {"firmware": {"version": FIRMWARE_VERSION}, "uptime": 0}
        self.finished = {}  # jobId -> final status, so a retained document seen again is answered, not re-run
        self.done = threading.Event()

    def publish(self, suffix, payload, qos=1, retain=False):
        return self.client.publish(PREFIX + suffix, json.dumps(payload), qos=qos, retain=retain)

    def report(self, patch):
        merge(self.reported, patch)
        self.publish("state/reported", patch)

    def job_status(self, job_id, status, reason=None):
        payload = {"status": status}
        if reason:
            payload["reason"] = reason[:500]
        self.publish("jobs/%s/status" % job_id, payload)
        log("job %s %s%s" % (job_id, status, ": " + reason if reason else ""))
        if status in FINAL:
            self.finished[job_id] = status
            if EXIT_AFTER_JOBS and len(self.finished) >= EXIT_AFTER_JOBS:
                self.done.set()

    def on_connect(self, client, userdata, flags, rc, *extra):
        if rc != 0:
            log("connection refused, CONNACK %s" % rc)
            return
        log("connected as %s" % DEVICE_ID)
        self.publish("presence", {"online": True}, retain=True)
        # Clean session: subscribe on every connect; retained desired state and job documents follow.
        client.subscribe([(PREFIX + t, 1) for t in ("state/desired", "state/delta", "jobs/+", "errors")])
        self.publish("state/reported", self.reported)

    def on_message(self, client, userdata, message):
        topic = message.topic[len(PREFIX):]
        if not message.payload:
            return  # an empty retained message clears a topic (a finished job, an empty delta)
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return
        if topic == "state/delta":
            log("desired delta v%s: %s" % (payload.get("version"), json.dumps(payload.get("delta"))))
            self.report(payload.get("delta") or {})
        elif topic == "errors":
            log("server refused %s: %s" % (payload.get("topic"), payload.get("message")))
        elif topic.startswith("jobs/") and topic != "jobs/notify":
            self.run_job(topic[len("jobs/"):], payload)

    def run_job(self, job_id, document):
        if self.finished.get(job_id) == "succeeded":
            self.job_status(job_id, "succeeded")
            return
        if document.get("type") != "config":
            self.job_status(job_id, "rejected", "this example device does not install firmware")
            return
        self.job_status(job_id, "accepted")
        self.job_status(job_id, "installing")
        config = document.get("config")
        if not isinstance(config, dict):
            self.job_status(job_id, "failed", "config is not an object")
            return
        self.report(config)
        self.job_status(job_id, "succeeded")


def fleet_ca_file():
    """CA_FILE, or the fleet CA fetched from the API (unauthenticated) into a file next to the credentials."""
    if CA_FILE:
        return CA_FILE
    path = "./%s.fleet-ca.pem" % DEVICE_ID
    with urllib.request.urlopen(API + "/api/v1/ca") as response, open(path, "wb") as f:
        f.write(response.read())
    return path


def use_tls(client):
    """mqtts://: verify the server by the fleet CA; with CERT_FILE/KEY_FILE also present the device certificate."""
    certificate = (CERT_FILE, KEY_FILE) if CERT_FILE and KEY_FILE else (None, None)
    client.tls_set(ca_certs=fleet_ca_file(), certfile=certificate[0], keyfile=certificate[1], cert_reqs=ssl.CERT_REQUIRED)


def main():
    by_certificate = bool(CERT_FILE and KEY_FILE)
    if by_certificate and BROKER.scheme != "mqtts":
        sys.exit("CERT_FILE and KEY_FILE need an mqtts:// EDGEFLEET_MQTT_URL")
    password = None if by_certificate else register()
    if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2.x
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id=DEVICE_ID, clean_session=True, protocol=mqtt.MQTTv311)
    else:
        client = mqtt.Client(client_id=DEVICE_ID, clean_session=True, protocol=mqtt.MQTTv311)
    if BROKER.scheme == "mqtts":
        use_tls(client)
    if password is not None:
        client.username_pw_set(DEVICE_ID, password)
    client.reconnect_delay_set(min_delay=1, max_delay=60)
    # Published by the broker if the connection is lost without DISCONNECT (MQTT 3.1.1 3.1.2.5).
    client.will_set(PREFIX + "presence", json.dumps({"online": False}), qos=1, retain=True)
    device = Device(client)
    client.on_connect = device.on_connect
    client.on_message = device.on_message
    signal.signal(signal.SIGTERM, lambda *_: device.done.set())
    signal.signal(signal.SIGINT, lambda *_: device.done.set())
    client.connect(BROKER.hostname or "127.0.0.1", BROKER.port or (8883 if BROKER.scheme == "mqtts" else 1883), keepalive=30)
    client.loop_start()
    while not device.done.wait(10):
        device.report({"uptime": device.reported["uptime"] + 10})
    # A clean DISCONNECT discards the Will, so say it ourselves first.
    if client.is_connected():
        try:
            device.publish("presence", {"online": False}, retain=True).wait_for_publish(5)
        except (RuntimeError, ValueError):
            pass  # the connection went meanwhile: the broker publishes the Will instead
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
