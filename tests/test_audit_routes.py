"""Every route of the server that makes a decision audits it the same way: with the log on a
full disk the API, FHIR and CDS Hooks routes answer 503 and no decision; a log rotated under
the running server is reopened at its path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from web_support import client

from triage.audit import GENESIS, read_log, verify
from triage.cases import Case
from triage.fhir.responses import response

UNAUDITED = "the decision could not be written to the audit log"
FULL = {  # every question answered: no screen is left, so each route decides
    "saddle_numbness": "yes",
    "bladder_bowel_change": "no",
    "both_legs": "no",
    "chest_symptoms": "no",
    "tearing_pain": "no",
    "head_neuro_symptoms": "no",
    "major_trauma": "no",
    "fever": "no",
    "neck_stiffness_headache": "no",
    "minor_trauma": "no",
    "cancer_history": "no",
    "worsening_weakness": "no",
    "hand_clumsiness_or_unsteady": "no",
    "location": "lower_back",
    "age": 52,
    "severity": 7,
    "duration_weeks": 0.3,
    "sensations": ["sharp"],
    "weight_loss": "no",
    "night_pain": "no",
    "immune_risk": "no",
    "pain_when_cracking": "no",
    "function_limited": "no",
    "self_care_not_helping": "no",
    "frequent_cracking": "no",
    "osteoporosis_or_steroids": "no",
    "blood_thinners": "no",
    "hypermobility": "no",
}


def requests(triage) -> dict[str, tuple[str, str, bytes]]:
    """Each decision route, with a request it decides."""
    answers = {q: v for q, v in FULL.items() if q in triage.rulebase.questions}
    qr = response(triage.rulebase, triage.result(Case("x", "t", answers))["answers"])
    qr_json = qr.model_dump_json()
    qr_doc = {**json.loads(qr_json), "subject": {"reference": "Patient/p1"}}  # the hook's patient
    cds = {
        "hook": "patient-view",
        "hookInstance": "5ae9e5a4-4bd1-4a2b-bd6f-3f7a63a8e0d9",
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {"questionnaireResponse": qr_doc},
    }
    return {
        "evaluate": ("/v1/evaluate", "application/json", json.dumps({"answers": answers}).encode()),
        "interview": (
            "/v1/interview",
            "application/json",
            json.dumps({"answers": answers}).encode(),
        ),
        "next-question": (
            "/fhir/Questionnaire/$next-question",
            "application/fhir+json",
            qr_json.encode(),
        ),
        "cds": ("/cds-services/back-neck-triage", "application/json", json.dumps(cds).encode()),
    }


ROUTES = ["evaluate", "interview", "next-question", "cds"]


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_decides_and_audits(triage, tmp_path, route):
    path, kind, body = requests(triage)[route]
    log = tmp_path / "audit.jsonl"
    with client(triage, audit_log=str(log)) as api:
        reply = api.post(path, content=body, headers={"content-type": kind})
    assert reply.status_code == 200, reply.text[:300]
    entries = [e.record for e in read_log(log)]
    assert [e["endpoint"] for e in entries] == [path.replace("/back-neck-triage", "")]
    assert entries[0]["result"]["disposition"] == "emergency"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("route", ROUTES)
def test_a_full_disk_is_a_503_on_every_route(triage, route, capfd):
    path, kind, body = requests(triage)[route]
    with client(triage, audit_log="/dev/full") as api:
        reply = api.post(path, content=body, headers={"content-type": kind})
    assert reply.status_code == 503, reply.text[:300]
    assert UNAUDITED in reply.text
    assert "emergency" not in reply.text.lower()  # no decision that the log does not hold
    assert "cannot write audit log /dev/full: No space left" in capfd.readouterr().err


@pytest.mark.parametrize("how", ["moved", "deleted"])
def test_the_server_writes_to_the_new_log_after_rotation(triage, tmp_path, how):
    path, kind, body = requests(triage)["cds"]
    log = tmp_path / "audit.jsonl"
    with client(triage, audit_log=str(log)) as api:
        assert api.post(path, content=body, headers={"content-type": kind}).status_code == 200
        if how == "moved":
            os.rename(log, tmp_path / "audit.jsonl.1")
        else:
            log.unlink()
        for _ in range(2):
            assert api.post(path, content=body, headers={"content-type": kind}).status_code == 200
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(records) == 2 and records[0]["prev"] == GENESIS
    assert verify(log)["breaks"] == []
    if how == "moved":
        assert len((tmp_path / "audit.jsonl.1").read_text().splitlines()) == 1


def test_a_log_whose_folder_is_gone_is_refused(triage, tmp_path):
    path, kind, body = requests(triage)["evaluate"]
    folder = tmp_path / "logs"
    folder.mkdir()
    log = folder / "audit.jsonl"
    with client(triage, audit_log=str(log)) as api:
        log.unlink()
        folder.rmdir()
        reply = api.post(path, content=body, headers={"content-type": kind})
    assert reply.status_code == 503 and UNAUDITED in reply.text
