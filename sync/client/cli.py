"""``pumpjack-field``: the field client on the command line.

    pumpjack-field login --tenant PERMIAN-7M3N8K --email pat@permian.test   (secret, password prompted)
    pumpjack-field pull                 # the route: wells, equipment, pending conflicts
    pumpjack-field wells
    pumpjack-field record production --well "Ector 12-1" --product OIL --volume 120.5
    pumpjack-field status
    pumpjack-field sync

Every command takes --json (one JSON object on stdout), --profile NAME (one store per device
profile) and --data-dir DIR (or $PUMPJACK_FIELD_HOME). Errors: one line on stderr, exit code
non-zero (2 bad input, 3 credentials, 4 network, 5 refused by the server, 6 busy).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Callable

from . import __version__
from .backoff import Backoff
from .engine import DEFAULT_SERVER, FieldClient, SyncReport
from .errors import FieldError, UsageError
from .profile import DEFAULT_PROFILE, profile_dir
from .record import EVENT_TYPES, edit, record

# --------------------------------------------------------------------------- output


class Output:
    """Human text or one JSON object on stdout; progress as a bar on a terminal, plain lines otherwise."""

    def __init__(self, as_json: bool, stdout=None, stderr=None):
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.bar = self.stderr.isatty()
        self._last: tuple[str, int, int] | None = None
        self._bar_open = False

    def say(self, text: str = "") -> None:
        if not self.as_json:
            self._end_bar()
            print(text, file=self.stdout)

    def result(self, data: dict, text: str | Callable[[], str]) -> None:
        self._end_bar()
        if self.as_json:
            print(json.dumps(data, default=str), file=self.stdout)
        else:
            print(text() if callable(text) else text, file=self.stdout)

    def progress(self, phase: str, done: int, total: int) -> None:
        if (phase, done, total) == self._last:
            return
        self._last = (phase, done, total)
        label = {"push": "pushing events", "processed": "waiting for the server", "photos": "uploading photos",
                 "pull": "pulling changes"}[phase]
        unit = {"push": "events", "processed": "batches", "photos": "photos", "pull": "changes"}[phase]
        if self.bar:
            width = 30
            filled = width if not total else int(width * done / total)
            line = f"\r{label:<24} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {unit}"
            if phase == "pull":
                line = f"\r{label:<24} {done:,} {unit}"
            self.stderr.write(line)
            self.stderr.flush()
            self._bar_open = True
        elif not self.as_json and total > 0 and (phase != "push" or done > 0):
            print(f"{label}: {done:,}/{total:,} {unit}" if phase != "pull" else f"{label}: {done:,} {unit}",
                  file=self.stdout, flush=True)

    def retry(self, message: str) -> None:
        self._end_bar()
        print(f"pumpjack-field: {message}", file=self.stderr, flush=True)

    def _end_bar(self) -> None:
        if self._bar_open:
            self.stderr.write("\n")
            self.stderr.flush()
            self._bar_open = False

    def error(self, exc: FieldError) -> None:
        self._end_bar()
        if self.as_json:
            print(json.dumps({"error": {"code": exc.code, "message": exc.message, "details": exc.details}},
                             default=str), file=self.stdout)
        print(f"pumpjack-field: error: {exc.message}", file=self.stderr)


# --------------------------------------------------------------------------- commands


def cmd_login(client: FieldClient, args, out: Output) -> int:
    stored = client.credentials_file.load()
    secret = args.secret or os.environ.get("PUMPJACK_FIELD_SECRET")
    tenant = args.tenant or stored.tenant_id
    if tenant and not secret and not stored.tenant_secret:
        secret = getpass.getpass("Tenant secret (from your admin): ")
    email = args.email or client.store.meta("user_email")
    if not email:
        raise UsageError("--email is required (the email you log in to Pumpjack with)")
    password = args.password if args.password is not None else getpass.getpass(f"Password for {email}: ")
    data = client.login(tenant_id=tenant, tenant_secret=secret, email=email, password=password)
    user = data["user"]
    out.result(data, f"Logged in as {user['email']} ({user.get('role', '?')}) on tenant {data['tenantId']} "
                     f"at {data['server']}.\nProfile {data['profile']}, device {data['deviceId']}.\n"
                     "Next: `pumpjack-field pull` to cache your route.")
    return 0


def cmd_logout(client: FieldClient, args, out: Output) -> int:
    data = client.logout()
    out.result(data, "Logged out: tokens dropped" + (" and revoked on the server." if data["revokedOnServer"]
                                                     else " (the server could not be told).")
               + " Tenant ID and secret are kept; unsynced events stay on this device.")
    return 0


def cmd_pull(client: FieldClient, args, out: Output) -> int:
    with client.exclusive():
        report = client.pull()
    summary = client.store.summary(user_id=client.user_id)
    data = {"changes": report.changes_pulled, "resnapshot": report.resnapshot, "wells": summary["wells"],
            "equipment": len(client.store.equipment()), "pendingConflicts": len(client.store.pending_conflicts())}
    out.result(data, f"Pulled {data['changes']:,} changes: {data['wells']} wells on your route, {data['equipment']} "
                     f"equipment, {data['pendingConflicts']} conflicts waiting for review."
               + (" (The cursor had expired: took a fresh snapshot.)" if report.resnapshot else ""))
    return 0


def cmd_tanks(client: FieldClient, args, out: Output) -> int:
    tanks = client.store.tanks()
    data = {"tanks": [{"id": t.id, "leaseId": t.lease_id, "lease": t.lease_name, "name": t.name, "product": t.product}
                      for t in tanks], "lastPullAt": client.store.meta("last_pull_at")}

    def text() -> str:
        if not tanks:
            return "No tanks cached on this device: run `pumpjack-field pull`."
        lines = [f"{'lease':<28} {'tank':<20} {'product':<8} id"]
        lines += [f"{t.lease_name[:28]:<28} {t.name[:20]:<20} {t.product:<8} {t.id}" for t in tanks]
        lines.append(f"{len(tanks)} tanks, as pulled at {data['lastPullAt']}. --tank takes the name, "
                     '"Lease/Tank" or the id.')
        return "\n".join(lines)

    out.result(data, text)
    return 0


def cmd_wells(client: FieldClient, args, out: Output) -> int:
    wells = client.store.wells()
    equipment: dict[str, list] = {}
    for item in client.store.equipment():
        equipment.setdefault(item.well_id, []).append(item)
    data = {"wells": [{"id": w.id, "apiNumber": w.api_number, "name": w.name, "status": w.status,
                       "version": w.version, "lease": w.data.get("lease", ""), "field": w.data.get("field", ""),
                       "equipment": [{"id": e.id, "name": e.name, "type": e.type, "serialNumber": e.serial,
                                      "status": e.status} for e in equipment.get(w.id, [])]} for w in wells],
            "lastPullAt": client.store.meta("last_pull_at")}

    def text() -> str:
        if not wells:
            return "No wells cached on this device: run `pumpjack-field pull`."
        lines = [f"{'API number':<15} {'name':<28} {'status':<9} equipment"]
        for w in data["wells"]:
            names = ", ".join(f"{e['name']} ({e['type']})" for e in w["equipment"]) or "-"
            lines.append(f"{w['apiNumber']:<15} {w['name'][:28]:<28} {w['status']:<9} {names}")
        lines.append(f"{len(wells)} wells, as pulled at {data['lastPullAt']}.")
        return "\n".join(lines)

    out.result(data, text)
    return 0


def cmd_record(client: FieldClient, args, out: Output) -> int:
    options = {k: v for k, v in vars(args).items() if k in RECORD_KEYS}
    event = record(client.store, client.folder, args.kind, options)
    waiting = client.store.summary(user_id=client.user_id)["unsynced"]
    event["unsynced"] = waiting
    about = (f"{event['well']['name']} ({event['well']['apiNumber']})" if "well" in event
             else f"tank {event['tank']['id']}")
    out.result(event, f"Recorded {event['type']} {event['id']} for {about}. "
                      f"{waiting:,} events wait for `pumpjack-field sync`.")
    return 0


def cmd_edit(client: FieldClient, args, out: Output) -> int:
    changes = {}
    for item in args.set or []:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: use NAME=VALUE, e.g. --set volume=12.5")
        name, value = item.split("=", 1)
        changes[name.strip()] = value
    if not changes:
        raise UsageError("give at least one --set NAME=VALUE")
    event = edit(client.store, args.event_id, changes)
    if event["replaces"] is None:
        text = (f"Recorded {event['type']} {event['id']}, a correction of {event['correctsEventId']} (already "
                "on the server); it goes with the next `pumpjack-field sync`.")
    else:
        text = (f"Recorded {event['type']} {event['id']} replacing {event['replaces']}; "
                "it goes with the next `pumpjack-field sync`.")
    out.result(event, text)
    return 0


def cmd_status(client: FieldClient, args, out: Output) -> int:
    data = client.status()

    def text() -> str:
        who = f"{data['user']} ({data['role']})" if data["loggedIn"] else "not logged in"
        lines = [f"Profile {data['profile']}: {who}, tenant {data['tenantId'] or '-'}, server {data['server']}",
                 f"Unsynced events:   {data['unsynced']:,}",
                 f"Rejected events:   {data['rejected']:,}" + (" (see below; fix with `pumpjack-field edit`)"
                                                              if data["rejected"] else ""),
                 f"Last sync:         {data['lastSyncAt'] or 'never'}",
                 f"Last pull:         {data['lastPullAt'] or 'never'} ({data['wells']} wells cached)"]
        if data["waitingForOtherUser"]:
            lines.append(f"Recorded by another user, waiting for them to log in: {data['waitingForOtherUser']:,}")
        if data["photosToUpload"]:
            lines.append(f"Photos to upload:  {data['photosToUpload']}")
        if data["awaitingOutcome"]:
            lines.append(f"Sent, outcome not known yet: {data['awaitingOutcome']:,} ({data['openBatches']} batches "
                         "still processing; `pumpjack-field sync` asks again)")
        if data["outcomes"]:
            lines.append("Outcomes:          " + ", ".join(f"{k} {v:,}" for k, v in sorted(data["outcomes"].items())))
        corrections = data["corrections"]
        if corrections["total"]:
            parts = [f"{corrections['unsent']:,} unsent", f"{corrections['awaitingOutcome']:,} sent, outcome not known yet"]
            parts += [f"{k} {v:,}" for k, v in sorted(corrections["outcomes"].items())]
            lines.append(f"Corrections:       {corrections['total']:,} ({', '.join(parts)})")
            for event in data["correctionEvents"][:10]:
                lines.append(f"  correction {event['id']} of {event['correctsEventId']} ({event['type']}): "
                             f"{event['state']}")
        lines.append(f"Pending conflicts on your wells: {len(data['pendingConflicts'])}")
        for conflict in data["pendingConflicts"][:20]:
            lines.append(f"  - {conflict['well']}: {conflict['eventType']}: {conflict['reason']}")
        for conflict in data["decidedConflicts"][:20]:  # a manager decided a conflict of your event
            lines.append(f"  decided: {conflict['well'] or conflict['wellId']}: {conflict['eventType']} "
                         f"{conflict['eventId']}: {conflict['status']} ({conflict['action']})"
                         + (f": {conflict['note']}" if conflict["note"] else ""))
        shown = data["rejectedEvents"] if args.rejected else data["rejectedEvents"][:10]
        for event in shown:
            lines.append(f"  rejected {event['id']} {event['type']}: {event['code']}: {event['message']}")
        return "\n".join(lines)

    out.result(data, text)
    return 0


def cmd_sync(client: FieldClient, args, out: Output) -> int:
    report: SyncReport = client.sync(wait=args.wait, max_events=args.chunk_size, pull=not args.no_pull)
    data = report.as_json()
    summary = client.store.summary(user_id=client.user_id)
    data.update(unsynced=summary["unsynced"], rejectedTotal=summary["rejected"],
                pendingConflicts=len(client.store.pending_conflicts()))

    def text() -> str:
        lines = [f"Pushed {report.pushed:,} events in {len(report.batches)} requests: {report.accepted:,} accepted, "
                 f"{report.duplicates:,} already on the server, {len(report.rejected):,} rejected."]
        if report.photos_uploaded or report.photo_errors:
            lines.append(f"Photos uploaded: {report.photos_uploaded}; failed: {len(report.photo_errors)}.")
        for rejection in report.rejected[:10]:
            lines.append(f"  rejected {rejection.get('eventId')}: {rejection.get('code')}: {rejection.get('message')}")
        if report.outcomes:
            lines.append("Outcomes of the events sent from this device: "
                         + ", ".join(f"{k} {v:,}" for k, v in sorted(report.outcomes.items())))
        if report.batches_open:
            lines.append(f"{report.batches_open} batches still processing on the server; the next sync asks again.")
        lines.append(f"Pulled {report.changes_pulled:,} changes; {data['pendingConflicts']} conflicts on your wells "
                     f"wait for review. Unsynced events left: {data['unsynced']:,}.")
        return "\n".join(lines)

    out.result(data, text)
    return 0


# --------------------------------------------------------------------------- arguments

RECORD_KEYS = {"well", "date", "product", "volume", "unit", "downtime_hours", "downtime_reason", "at", "type",
               "value", "equipment", "status", "notes", "description", "parts", "text", "file", "caption", "reason",
               "tank", "level", "temperature", "bsw", "number", "ticket_kind", "gravity", "disposition", "opening",
               "closing", "opening_totalizer", "closing_totalizer", "meter_factor", "purchaser", "seals_removed",
               "seals_installed"}


def _common(json_default, profile_default, unset) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=json_default,
                        help="print one JSON object on stdout")
    common.add_argument("--profile", default=profile_default,
                        help="device profile (one store each; default $PUMPJACK_FIELD_PROFILE or 'default')")
    common.add_argument("--data-dir", default=unset,
                        help="where profiles live (default $PUMPJACK_FIELD_HOME or ~/.local/share/pumpjack-field)")
    common.add_argument("--retry-for", type=float, metavar="SECONDS", default=unset,
                        help="keep retrying an unreachable or busy server this long (default 300)")
    common.add_argument("--server", default=unset,
                        help=f"server URL (saved at login; default $PUMPJACK_FIELD_SERVER or {DEFAULT_SERVER})")
    return common


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="pumpjack-field", description="Pumpjack field client: record offline, sync when back online.",
        parents=[_common(False, os.environ.get("PUMPJACK_FIELD_PROFILE") or DEFAULT_PROFILE, None)])
    top.add_argument("--version", action="version", version=f"pumpjack-field {__version__}")
    # On subcommands the same options are accepted after the command name (defaults left to the top).
    common = _common(argparse.SUPPRESS, argparse.SUPPRESS, argparse.SUPPRESS)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    login = commands.add_parser("login", parents=[common], help="log in (tenant ID, tenant secret, email, password)")
    login.add_argument("--tenant", help="tenant ID, e.g. PERMIAN-7M3N8K (kept for the next login)")
    login.add_argument("--secret", help="tenant secret (64 hex; prompted when not given; kept in a 0600 file)")
    login.add_argument("--email")
    login.add_argument("--password", help="prompted when not given; never stored")
    login.set_defaults(run=cmd_login)

    commands.add_parser("logout", parents=[common], help="drop the tokens (keeps tenant ID and secret)") \
        .set_defaults(run=cmd_logout)
    commands.add_parser("pull", parents=[common], help="refresh the route: wells, equipment, pending conflicts") \
        .set_defaults(run=cmd_pull)
    commands.add_parser("wells", parents=[common], help="the wells of the cached route").set_defaults(run=cmd_wells)
    commands.add_parser("tanks", parents=[common], help="the tanks of the cached route's leases") \
        .set_defaults(run=cmd_tanks)

    status = commands.add_parser("status", parents=[common], help="unsynced and rejected events, conflicts")
    status.add_argument("--rejected", action="store_true", help="list every rejected event")
    status.set_defaults(run=cmd_status)

    sync = commands.add_parser("sync", parents=[common], help="upload photos, push events, follow outcomes, pull")
    sync.add_argument("--wait", type=float, default=120.0,
                      help="seconds to wait for the server to process the batches (default 120; 0: do not wait)")
    sync.add_argument("--chunk-size", type=int, default=5000, help="events per request (1-5000; default 5000)")
    sync.add_argument("--no-pull", action="store_true", help="do not pull changes afterwards")
    sync.set_defaults(run=cmd_sync)

    fix = commands.add_parser("edit", parents=[common],
                              help="fix an event: a corrected copy of an unsent or rejected one, a correction "
                                   "(correctsEventId) of one the server accepted")
    fix.add_argument("event_id", help="the event id (or a unique prefix), from `status --rejected`")
    fix.add_argument("--set", action="append", metavar="NAME=VALUE", help="e.g. --set volume=12.5 (repeatable)")
    fix.set_defaults(run=cmd_edit)

    rec = commands.add_parser("record", help="record an event offline (validated now, sent by `sync`)")
    kinds = rec.add_subparsers(dest="kind", metavar="KIND", required=True)
    well_help = "API number, id or name of a well on your cached route"
    at_help = "when (2026-11-26T14:03:00Z, local '2026-11-26 08:03' or '08:03'; default now)"

    def kind(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = kinds.add_parser(name, parents=[common], help=help_text)
        sub.add_argument("--well", required=True, help=well_help)
        sub.set_defaults(run=cmd_record)
        return sub

    p = kind("production", "daily production of a product (PRODUCTION_LOGGED)")
    p.add_argument("--date", help="production date YYYY-MM-DD (default today)")
    p.add_argument("--product", required=True, help="OIL, GAS or WATER")
    p.add_argument("--volume", required=True, help=">= 0")
    p.add_argument("--unit", help="OIL/WATER: BBL or M3; GAS: MCF or M3 (default BBL / MCF)")
    p.add_argument("--downtime-hours", help="0-24")
    p.add_argument("--downtime-reason")
    p.add_argument("--at", help="when it was measured; " + at_help)

    r = kind("reading", "a gauge reading (WELL_READING_RECORDED)")
    r.add_argument("--type", required=True, help="PRESSURE, TEMPERATURE, TANK_LEVEL or FLOW_RATE")
    r.add_argument("--value", required=True)
    r.add_argument("--unit", help="PRESSURE: PSI|KPA|BAR, TEMPERATURE: F|C, TANK_LEVEL: IN|FT|M, "
                                  "FLOW_RATE: BBL_D|MCF_D|M3_D (default the first)")
    r.add_argument("--equipment", help="equipment name, serial number or id (optional)")
    r.add_argument("--at", help=at_help)

    i = kind("inspection", "an equipment inspection (EQUIPMENT_INSPECTED)")
    i.add_argument("--equipment", required=True, help="equipment name, serial number or id")
    i.add_argument("--status", required=True, help="PASS, FAIL or NEEDS_ATTENTION")
    i.add_argument("--type", help="ROUTINE (default), SAFETY or REPAIR")
    i.add_argument("--notes")
    i.add_argument("--at", help=at_help)

    f = kind("repair", "an equipment repair (EQUIPMENT_REPAIRED)")
    f.add_argument("--equipment", required=True, help="equipment name, serial number or id")
    f.add_argument("--description", required=True)
    f.add_argument("--parts", help="parts replaced")
    f.add_argument("--at", help=at_help)

    n = kind("note", "a note on the well (NOTES_ADDED)")
    n.add_argument("--text", required=True, help="up to 10,000 characters")
    n.add_argument("--at", help=at_help)

    ph = kind("photo", "a photo (PHOTO_ATTACHED; the image is uploaded by sync)")
    ph.add_argument("--file", required=True, help="JPEG, PNG or HEIC, at most 10 MiB (copied into the profile)")
    ph.add_argument("--caption")
    ph.add_argument("--equipment", help="equipment name, serial number or id (optional)")
    ph.add_argument("--at", help="when it was taken; " + at_help)

    s = kind("status", "a well status change (WELL_STATUS_CHANGED; sends the cached well's version)")
    s.add_argument("--status", required=True, help="ACTIVE, SHUT_IN, INACTIVE or PLUGGED")
    s.add_argument("--reason")
    s.add_argument("--at", help=at_help)
    def tank_kind(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = kinds.add_parser(name, parents=[common], help=help_text)
        sub.add_argument("--tank", required=True, help='the tank\'s name ("Oil 1"; "Lease/Oil 1" when two leases have '
                         "one; `pumpjack-field tanks` lists them) or its id")
        sub.set_defaults(run=cmd_record)
        return sub

    level_help = ('as read on the gauge line: "12ft 4-1/4in" (feet, inches, quarters), or 148.25in, 12.5ft, '
                  "3.2m, or a number with --unit")
    g = tank_kind("gauge", "a tank gauge (TANK_GAUGED)")
    g.add_argument("--level", required=True, help=level_help)
    g.add_argument("--unit", help="IN, FT or M, for a level given as a bare number")
    g.add_argument("--temperature", help="oil temperature, °F (-58 to 302)")
    g.add_argument("--bsw", help="BS&W, percent (0-100)")
    g.add_argument("--notes")
    g.add_argument("--at", help="when it was gauged; " + at_help)

    t = tank_kind("run-ticket", "a run ticket: oil that left the lease (RUN_TICKET_RECORDED)")
    t.add_argument("--number", required=True, help="the ticket number")
    t.add_argument("--kind", dest="ticket_kind", help="TANK (default) or LACT (default when --opening-totalizer "
                                                      "is given)")
    t.add_argument("--gravity", required=True, help="observed API gravity")
    t.add_argument("--temperature", required=True, help="observed temperature, °F")
    t.add_argument("--bsw", required=True, help="BS&W, percent")
    t.add_argument("--disposition", required=True, help="RRC disposition code: 0 pipeline, 1 truck, ...")
    t.add_argument("--opening", help="TANK: the opening gauge, " + level_help)
    t.add_argument("--closing", help="TANK: the closing gauge, the same way")
    t.add_argument("--unit", help="TANK: IN, FT or M for levels given as bare numbers")
    t.add_argument("--opening-totalizer", help="LACT: opening totalizer, bbl")
    t.add_argument("--closing-totalizer", help="LACT: closing totalizer, bbl")
    t.add_argument("--meter-factor", help="LACT: meter factor (0.9-1.1)")
    t.add_argument("--purchaser")
    t.add_argument("--seals-removed", help="seal numbers, comma separated")
    t.add_argument("--seals-installed", help="seal numbers, comma separated")
    t.add_argument("--notes")
    t.add_argument("--at", help="when the ticket was closed; " + at_help)
    assert set(kinds.choices) == set(EVENT_TYPES)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = Output(args.json)
    client = None
    try:
        folder = profile_dir(args.profile, args.data_dir)
        backoff = Backoff(max_elapsed=args.retry_for) if args.retry_for is not None else None
        client = FieldClient(folder, server=args.server, backoff=backoff, progress=out.progress, on_retry=out.retry)
        return args.run(client, args, out)
    except FieldError as exc:
        out.error(exc)
        return exc.exit_code
    except BrokenPipeError:  # `pumpjack-field status | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        out.error(FieldError("interrupted; what was recorded or synced so far is kept", code="interrupted"))
        return 130
    finally:
        if client is not None:
            client.close()


if __name__ == "__main__":
    sys.exit(main())
