"""Command line for the examination workflow: allocation, quality control, pendency, simulation.

Mounted by `service/cli.py` as `ipoffice workflow ...` (`workflow_app`) and `ipoffice allocate`
(`allocate_cmd`). Same conventions as the rest of the CLI: `--json` prints exactly one JSON object
on stdout (lists under `results`); exit 0 done, 1 done with rejected records, 2 nothing done or bad
input; progress and errors go to stderr. Helpers of `service/cli.py` are imported lazily, so either
module can be imported first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ipoffice.service.output import emit, fail

workflow_app = typer.Typer(no_args_is_help=True, help="Examination workflow: pendency, simulation, quality, examiners.")
quality_app = typer.Typer(no_args_is_help=True, help="Quality control of office actions.")
examiners_app = typer.Typer(no_args_is_help=True, help="Examiners and their declared conflicts.")
workflow_app.add_typer(quality_app, name="quality")
workflow_app.add_typer(examiners_app, name="examiners")

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
RoleOpt = Annotated[str, typer.Option(help="Act in this role (public, applicant, agent, examiner, administrator).")]


def _base():  # noqa: ANN202 - the service.cli module
    from ipoffice.service import cli

    return cli


_emit = emit
_fail = fail


def _denied(exc: Exception, as_json: bool) -> typer.Exit:
    return _fail(str(exc), as_json, 2)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None


# ---------------------------------------------------------------- allocate (mounted as `ipoffice allocate`)


def allocate_cmd(
    policy: Annotated[
        str, typer.Option(help="field-balanced (default), round-robin or least-loaded.")
    ] = "field-balanced",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be assigned; write nothing.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many cases (fast tracks and oldest first).")] = None,
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Assign new (open, unassigned) cases to examiners by field, language, skills and capacity; never
    to an examiner with a declared conflict. Cases no examiner can take are listed with the reason."""
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.workflow.allocation import allocate

    base = _base()
    store = base._store()
    actor = base._actor(role)
    with store.session() as s:
        try:
            rep = allocate(s, actor, policy=policy, limit=limit, dry_run=dry_run)
        except PermissionDenied as e:
            raise _denied(e, as_json) from None
        except ValueError as e:
            raise _fail(str(e), as_json) from None
    code = rep.exit_code()
    if as_json:
        _emit(rep.to_dict())
        raise typer.Exit(code)
    verb = "would assign" if dry_run else "assigned"
    out.print(
        f"{rep.considered} new case(s): {verb} {len(rep.assigned)}, unassigned {len(rep.unassigned)} "
        f"(policy {rep.policy}, {rep.seconds:.2f}s)"
    )
    for a in rep.assigned[:50]:
        out.print(f"  {a['case_no']} -> {a['examiner']} ({a['division']}): {a['reason']}")
    if len(rep.assigned) > 50:
        out.print(f"  ... and {len(rep.assigned) - 50} more (use --json for all)")
    for u in rep.unassigned[:50]:
        err.print(f"[yellow]unassigned[/yellow] {u['case_no']}: {u['reason']}")
    for c in rep.changed_meanwhile:
        err.print(f"[yellow]changed meanwhile, left alone:[/yellow] {c}")
    for w in rep.warnings:
        err.print(f"[yellow]warning:[/yellow] {w}")
    raise typer.Exit(code)


# ---------------------------------------------------------------- examiners


@examiners_app.command("import")
def examiners_import(
    path: Annotated[Path, typer.Argument(help="Examiners as YAML (examiners: [...]) or CSV.")],
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Create or update examiners (by code) and their declared conflicts of interest."""
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.workflow.allocation import import_examiners, read_examiner_file

    base = _base()
    if not path.is_file():
        raise _fail(f"no such file: {path}", as_json)
    try:
        entries = read_examiner_file(path)
    except ValueError as e:
        raise _fail(str(e), as_json) from None
    store = base._store()
    actor = base._actor(role)
    with store.session() as s:
        try:
            rep = import_examiners(s, actor, entries)
        except PermissionDenied as e:
            raise _denied(e, as_json) from None
    code = rep.exit_code()
    if as_json:
        _emit(rep.to_dict())
        raise typer.Exit(code)
    out.print(f"{rep.loaded} examiner(s) loaded, {rep.updated} updated, {rep.conflicts} conflict(s) added")
    for e in rep.errors:
        err.print(f"[yellow]rejected:[/yellow] {e}")
    raise typer.Exit(code)


# ---------------------------------------------------------------- pendency


@workflow_app.command("pendency")
def pendency_cmd(
    by: Annotated[str, typer.Option(help="right, field (IPC class), section, track, division or year.")] = "right",
    chart: Annotated[Path | None, typer.Option(help="Write a chart: FILE.svg (PNG needs matplotlib).")] = None,
    as_of: Annotated[str | None, typer.Option(help="Age the backlog as of this date (YYYY-MM-DD).")] = None,
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Pendency to first action and to final decision (months: median, mean, p90) and the open backlog."""
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.workflow.pendency import BY, pendency

    if by not in BY:
        raise _fail(f"--by must be one of {', '.join(BY)}", as_json)
    if chart is not None and chart.suffix.lower() not in (".svg", ".png"):
        raise _fail("--chart must end in .svg or .png", as_json)
    base = _base()
    store = base._store()
    actor = base._actor(role)
    with store.session() as s:
        try:
            fig = pendency(s, by, today=_date(as_of, "--as-of"), actor=actor)
        except PermissionDenied as e:
            raise _denied(e, as_json) from None
    if chart is not None:
        try:
            _write_chart(fig, chart)
        except RuntimeError as e:
            raise _fail(str(e), as_json) from None
        fig["chart"] = str(chart)
    if as_json:
        _emit(fig)
        return
    table = Table(title=f"pendency by {by} (months from filing), as of {fig['as_of']}")
    for col in ("group", "first action n", "median", "p90", "decision n", "median", "p90", "open", "median age"):
        table.add_column(col, justify="left" if col == "group" else "right")

    def cells(r: dict[str, Any]) -> list[str]:
        fa, fd, bl = r["first_action"], r["final_decision"], r["backlog"]
        return [str(x if x is not None else "-") for x in (
            fa["count"], fa["median"], fa["p90"], fd["count"], fd["median"], fd["p90"], bl["open"], bl["median_age"]
        )]  # fmt: skip

    for r in fig["results"]:
        table.add_row(str(r[by]), *cells(r))
    table.add_row("[bold]all[/bold]", *cells(fig["total"]))
    out.print(table)
    if chart is not None:
        out.print(f"chart written to {chart}")


def _write_chart(fig: dict[str, Any], path: Path) -> None:
    from ipoffice.workflow.pendency import pendency_svg

    if path.suffix.lower() == ".svg":
        path.write_text(pendency_svg(fig), encoding="utf-8")
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RuntimeError("PNG charts need matplotlib, which is not installed; write .svg instead") from None
    import matplotlib.pyplot as plt

    by = fig["by"]
    rows = [r for r in fig["results"] if r["first_action"]["count"] or r["final_decision"]["count"]]
    ys = list(range(len(rows)))
    f, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.5))
    ax.barh([y - 0.2 for y in ys], [r["first_action"]["median"] or 0 for r in rows], 0.4, label="to first action")
    ax.barh([y + 0.2 for y in ys], [r["final_decision"]["median"] or 0 for r in rows], 0.4, label="to decision")
    ax.set_yticks(ys, [str(r[by]) for r in rows])
    ax.set_xlabel("months from filing (median)")
    ax.legend()
    f.tight_layout()
    f.savefig(path)


# ---------------------------------------------------------------- simulate


@workflow_app.command("simulate")
def simulate_cmd(
    arrivals_per_year: Annotated[float, typer.Option(help="Applications a year (all streams).")] = 1_600_000,
    examiners: Annotated[int, typer.Option(help="Examiners (servers).")] = 10_000,
    service_days: Annotated[
        float, typer.Option(help="Mean examiner days for a first action (further action 40%, decision 25% of it).")
    ] = 1.2,
    days: Annotated[float, typer.Option(help="Days to simulate.")] = 365,
    policy: Annotated[str, typer.Option(help="fifo or priority (fast track first).")] = "fifo",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    fast_share: Annotated[float, typer.Option(help="Share of arrivals on a fast track.")] = 0.05,
    response_days: Annotated[float, typer.Option(help="Applicant's time to answer an office action.")] = 120,
    further_prob: Annotated[float, typer.Option(help="Chance that an answer needs a further action.")] = 0.5,
    seasonality: Annotated[float, typer.Option(help="Yearly arrival cycle amplitude (0..1).")] = 0.0,
    distribution: Annotated[str, typer.Option(help="Service times: lognormal, exponential or fixed.")] = "lognormal",
    arrivals: Annotated[str, typer.Option(help="daily (batched, fast) or exact (one event per arrival).")] = "daily",
    warmup_days: Annotated[float, typer.Option(help="Do not measure arrivals before this day.")] = 0,
    backlog: Annotated[int, typer.Option(help="Applications already waiting at day 0.")] = 0,
    single_stage: Annotated[
        bool, typer.Option("--single-stage", help="First action only (no answer, no decision): an M/M/c-like queue.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Forecast pendency and queue sizes with a discrete-event simulation (simpy)."""
    from ipoffice.workflow.simulate import Dist, SimConfig, Stream, erlang_c, simulate

    cv = 0.8 if distribution == "lognormal" else 1.0
    stages = {"first-action": Dist(service_days, distribution, cv)}
    if not single_stage:
        stages["further-action"] = Dist(0.4 * service_days, distribution, cv)
        stages["decision"] = Dist(0.25 * service_days, distribution, cv)
    try:
        cfg = SimConfig(
            streams=[
                Stream("normal", arrivals_per_year * (1 - fast_share)),
                Stream("fast-track", arrivals_per_year * fast_share, fast=True),
            ],
            examiners=examiners,
            service=stages,
            days=days,
            policy=policy,
            response=Dist(response_days, "fixed"),
            further_action_prob=further_prob,
            seasonality=seasonality,
            arrivals=arrivals,
            warmup_days=warmup_days,
            initial_backlog=backlog,
            seed=seed,
        )
        cfg.validate()
        if not 0 <= fast_share <= 1:
            raise ValueError("--fast-share must be in [0, 1]")
        err.print(f"simulating {days:g} days, {arrivals_per_year:,.0f} arrivals/year, {examiners} examiners ...")
        res = simulate(cfg).to_dict()
    except ValueError as e:
        raise _fail(str(e), as_json) from None
    if single_stage and distribution == "exponential" and res["offered_load"] < 1:
        lam = arrivals_per_year / 365
        res["mmc_reference"] = erlang_c(examiners, lam, 1 / service_days)
    if as_json:
        _emit(res)
        return
    out.print(
        f"{res['arrivals']:,} arrivals, {res['first_actions']:,} first actions, {res['decisions']:,} decisions "
        f"in {res['seconds']}s ({res['events']:,} events); offered load {res['offered_load']:.3f}, "
        f"utilisation {res['utilisation']:.3f}"
    )
    table = Table(title="forecast (days; months in brackets)")
    for col in ("milestone", "count", "mean", "p50", "p90"):
        table.add_column(col, justify="left" if col == "milestone" else "right")
    for name, key in (("first action", "time_to_first_action"), ("decision", "time_to_decision")):
        s = res[key]
        if s["count"]:
            table.add_row(
                name,
                f"{s['count']:,}",
                *(f"{s[f'{q}_days']:.1f} ({s[f'{q}_months']})" for q in ("mean", "p50", "p90")),
            )
        else:
            table.add_row(name, "0", "-", "-", "-")
    out.print(table)
    end = res["open_at_end"]
    out.print(
        f"open at the end: {end['queued']:,} queued, {end['in_examination']:,} in examination, "
        f"{end['with_applicant']:,} with the applicant; mean queue {res['mean_queue_length']:.1f}"
    )
    if res["time_to_decision"]["count"] < res["arrivals"] * 0.5 and not single_stage:
        err.print(
            "[yellow]note:[/yellow] most applications are not decided by the horizon: time to decision is censored"
        )


# ---------------------------------------------------------------- quality


@quality_app.command("sample")
def quality_sample_cmd(
    since: Annotated[str, typer.Option(help="Actions finished on or after this date (YYYY-MM-DD).")],
    until: Annotated[str | None, typer.Option(help="... and on or before this date.")] = None,
    rate: Annotated[float, typer.Option(help="Random sampling rate.")] = 0.05,
    risk_rate: Annotated[float | None, typer.Option(help="Risk-weighted extra sample rate (default: --rate).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible draw.")] = None,
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Sample finished office actions and decisions for quality review (random + risk-weighted)."""
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.workflow.quality import sample

    base = _base()
    store = base._store()
    actor = base._actor(role)
    with store.session() as s:
        try:
            rep = sample(
                s,
                actor,
                _date(since, "--since"),
                rate=rate,
                seed=seed,
                risk_rate=risk_rate,
                until=_date(until, "--until"),
            )
        except PermissionDenied as e:
            raise _denied(e, as_json) from None
        except ValueError as e:
            raise _fail(str(e), as_json) from None
    if as_json:
        _emit(rep.to_dict())
        return
    out.print(f"{rep.eligible} action(s) since {rep.since}: sampled {rep.random} at random, {rep.risk} by risk")
    for r in rep.reviews[:50]:
        sig = ", ".join(r["signals"]) or "-"
        out.print(f"  review {r['review_id']}: {r['case_no']} {r['event']} {r['date']} ({r['reason']}; {sig})")


@quality_app.command("review")
def quality_review_cmd(
    review_id: Annotated[int, typer.Argument(help="The review to close.")],
    finding: Annotated[
        list[str] | None, typer.Option(help="CATEGORY[:SEVERITY[:NOTE]]; repeat; none = no error found.")
    ] = None,
    reviewer: Annotated[str | None, typer.Option(help="Reviewer's examiner code.")] = None,
    role: RoleOpt = "examiner",
    as_json: JsonOpt = False,
) -> None:
    """Record a quality review's findings and close it."""
    from sqlalchemy import select

    from ipoffice.core import tables as t
    from ipoffice.core.roles import Actor, PermissionDenied
    from ipoffice.workflow.quality import ReviewRefused, record_review

    base = _base()
    store = base._store()
    actor = base._actor(role)
    if reviewer:
        actor = Actor(name=reviewer, role=actor.role)
    findings = []
    for f in finding or []:
        parts = f.split(":", 2)
        findings.append(
            {"category": parts[0], "severity": parts[1] if len(parts) > 1 and parts[1] else "minor",
             "note": parts[2] if len(parts) > 2 else ""}
        )  # fmt: skip
    with store.session() as s:
        review = s.get(t.QualityReview, review_id)
        if review is None:
            raise _fail(f"no quality review {review_id}", as_json)
        ex = s.scalar(select(t.Examiner).where(t.Examiner.code == reviewer)) if reviewer else None
        try:
            record_review(s, actor, review, findings, reviewer=ex)
        except PermissionDenied as e:
            raise _denied(e, as_json) from None
        except ReviewRefused as e:
            raise _fail(str(e), as_json) from None
        result = {"review_id": review.id, "status": review.status, "findings": review.findings}
    if as_json:
        _emit(result)
    else:
        out.print(f"review {review_id} done: {len(findings)} finding(s)")


@quality_app.command("figures")
def quality_figures_cmd(
    by: Annotated[str, typer.Option(help="examiner, division or field (IPC class).")] = "examiner",
    random_only: Annotated[bool, typer.Option("--random-only", help="Only the random draw (unbiased rates).")] = False,
    role: RoleOpt = "administrator",
    as_json: JsonOpt = False,
) -> None:
    """Error rates per checklist category with counts and Wilson 95% intervals."""
    from ipoffice.core.roles import PermissionDenied
    from ipoffice.workflow.quality import quality_figures

    base = _base()
    store = base._store()
    actor = base._actor(role)
    with store.session() as s:
        try:
            fig = quality_figures(s, by, actor=actor, sample_reason="random" if random_only else None)
        except PermissionDenied as e:
            raise _denied(e, as_json) from None
        except ValueError as e:
            raise _fail(str(e), as_json) from None
    if as_json:
        _emit(fig)
        return
    table = Table(title=f"quality: error rate by {by} (95% Wilson interval)")
    table.add_column(by)
    table.add_column("reviews", justify="right")
    table.add_column("any error", justify="right")
    cats = sorted({c for r in [*fig["results"], fig["total"]] for c in r["categories"]})
    for c in cats:
        table.add_column(c, justify="right")

    def cell(x: dict[str, Any] | None) -> str:
        if not x or not x["reviewed"]:
            return "-"
        lo, hi = x["ci95"]
        return f"{x['errors']}/{x['reviewed']} {100 * x['rate']:.0f}% [{100 * lo:.0f}-{100 * hi:.0f}]"

    for r in [*fig["results"], {**fig["total"], by: "[bold]all[/bold]"}]:
        table.add_row(
            str(r[by]), str(r["reviews"]), cell(r["any_error"]), *(cell(r["categories"].get(c)) for c in cats)
        )
    out.print(table)
