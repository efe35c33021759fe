"""Recording tank gauges and run tickets offline (API.md section 13): a level as a pumper reads
the gauge line ("12ft 4-1/4in"), or with a unit; bad levels and tickets get one clear line
naming the option, from the server's own schemas. No server is involved."""

from __future__ import annotations

import uuid

import pytest

from sync.client import cli
from sync.client.errors import UsageError
from sync.client.record import record
from sync.schemas import Invalid, parse_gauge_level
from tests.client.test_record import client  # noqa: F401  (the fixture)

TANK = str(uuid.uuid4())


def run(client, kind, **options):  # noqa: F811
    return record(client.store, client.folder, kind, options)


@pytest.mark.parametrize("text, level, unit", [
    ("12ft 4-1/4in", "148.25", "IN"), ("12 ft 4 1/4 in", "148.25", "IN"), ("12' 4-1/4\"", "148.25", "IN"),
    ("12ft 4in", "148", "IN"), ("0ft 1/16in", "0.0625", "IN"), ("4-3/4in", "4.75", "IN"),
    ("148.25in", "148.25", "IN"), ("148.25 IN", "148.25", "IN"), ("12.5ft", "12.5", "FT"), ("3.2m", "3.2", "M"),
])
def test_a_gauge_line_reading_becomes_a_level_and_unit(text, level, unit):
    parsed = parse_gauge_level(text)
    assert (str(parsed[0].normalize()), parsed[1]) == (level, unit)


@pytest.mark.parametrize("text, message", [
    ("", "no level given"),
    ("twelve feet", "is not a gauge level: write a level as 12ft 4-1/4in"),
    ("12ft 13in", "the inches after feet must be under 12"),
    ("4-1/3in", "1/3 is not a fraction of an inch a gauge line shows"),
    ("148.25", "has no unit"),
    ("101ft", "is above 100 ft"),
    ("-2in", "is not a gauge level"),
])
def test_bad_levels_say_what_a_level_looks_like(text, message):
    with pytest.raises(Invalid, match=message):
        parse_gauge_level(text)


def test_a_gauge_is_recorded_with_the_level_in_inches(client):  # noqa: F811
    event = run(client, "gauge", tank=TANK, level="12ft 4-1/4in", temperature="71.5", bsw="0.3")
    assert event["type"] == "TANK_GAUGED" and event["tank"] == {"id": TANK}
    payload = event["payload"]
    assert payload["tankId"] == TANK and payload["level"] == 148.25 and payload["unit"] == "IN"
    assert payload["temperatureF"] == 71.5 and payload["bswPercent"] == 0.3 and "gaugedAt" in payload
    bare = run(client, "gauge", tank=TANK, level="12.5", unit="ft")["payload"]
    assert (bare["level"], bare["unit"]) == (12.5, "FT")


@pytest.mark.parametrize("options, message", [
    ({"level": "12ft 13in"}, "--level: '12ft 13in': the inches after feet must be under 12"),
    ({"level": "148.25"}, "--level: '148.25' has no unit"),
    ({"level": "2in", "bsw": "120"}, "--bsw: must be <= 100"),
    ({"level": "2in", "tank": "Oil 1"}, "--tank 'Oil 1': no tanks cached on this device"),  # a name: see test_tank_names
])
def test_a_bad_gauge_names_the_option(client, options, message):  # noqa: F811
    with pytest.raises(UsageError) as error:
        run(client, "gauge", **({"tank": TANK} | options))
    assert str(error.value).startswith(message), str(error.value)


def test_run_tickets_of_both_kinds_are_recorded(client):  # noqa: F811
    tank_ticket = run(client, "run-ticket", tank=TANK, number="T-1", gravity="40.2", temperature="72",
                      bsw="0.4", disposition="1", opening="12ft 4-1/4in", closing="1.5ft",
                      seals_removed="S1", seals_installed="S2, S3")["payload"]
    assert tank_ticket["kind"] == "TANK" and tank_ticket["unit"] == "IN"
    assert (tank_ticket["openingLevel"], tank_ticket["closingLevel"]) == (148.25, 18)
    assert tank_ticket["sealsRemoved"] == ["S1"] and tank_ticket["sealsInstalled"] == ["S2", "S3"]
    lact = run(client, "run-ticket", tank=TANK, number="L-1", gravity="40.2", temperature="72", bsw="0.4",
               disposition="0", opening_totalizer="10500", closing_totalizer="10680.5", meter_factor="1.0012")["payload"]
    assert lact["kind"] == "LACT" and lact["meterFactor"] == 1.0012 and "openingLevel" not in lact


def test_a_bad_ticket_names_the_option(client):  # noqa: F811
    with pytest.raises(UsageError, match="--closing: must not be above openingLevel"):
        run(client, "run-ticket", tank=TANK, number="T-2", gravity="40", temperature="60", bsw="0", disposition="1",
            opening="2ft", closing="3ft")
    with pytest.raises(UsageError, match="--meter-factor is required"):
        run(client, "run-ticket", tank=TANK, number="L-2", gravity="40", temperature="60", bsw="0", disposition="0",
            opening_totalizer="1", closing_totalizer="2")
    with pytest.raises(UsageError, match="--disposition: must be an RRC oil disposition code from 0 to 9"):
        run(client, "run-ticket", tank=TANK, number="T-3", gravity="40", temperature="60", bsw="0",
            disposition="pipeline", opening="2ft", closing="1ft")
    with pytest.raises(UsageError, match="--disposition: must be an RRC oil disposition code from 0 to 9"):
        run(client, "run-ticket", tank=TANK, number="T-4", gravity="40", temperature="60", bsw="0",
            disposition="10", opening="2ft", closing="1ft")  # 10 is a gas code (flared), not oil's


def test_the_command_line_takes_gauge_and_run_ticket(client, capsys):  # noqa: F811
    args = cli.parser().parse_args(["record", "gauge", "--tank", TANK, "--level", "12ft 4-1/4in"])
    assert args.kind == "gauge" and args.level == "12ft 4-1/4in"
    args = cli.parser().parse_args(["record", "run-ticket", "--tank", TANK, "--number", "T-9", "--kind", "lact",
                                    "--gravity", "40", "--temperature", "60", "--bsw", "0.1", "--disposition", "0",
                                    "--opening-totalizer", "1", "--closing-totalizer", "2", "--meter-factor", "1"])
    assert args.kind == "run-ticket" and args.ticket_kind == "lact"
