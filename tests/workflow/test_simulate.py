"""The simulator against closed forms: Erlang C (M/M/c) waiting time and queue length, Little's law,
the Poisson sampler; and the policies' effect on fast-track pendency."""

from __future__ import annotations

import random

import pytest

from ipoffice.workflow.simulate import Dist, SimConfig, Stream, cnipa_scale, erlang_c, poisson, simulate


def test_erlang_c_closed_form():
    r = erlang_c(2, 1.0, 1.0)  # two servers, half loaded: P(wait) = 1/3, Wq = 1/3
    assert r["p_wait"] == pytest.approx(1 / 3) and r["wq"] == pytest.approx(1 / 3)
    r = erlang_c(1, 0.5, 1.0)  # M/M/1: Wq = rho / (mu - lambda) = 1
    assert r["wq"] == pytest.approx(1.0) and r["lq"] == pytest.approx(0.5)
    big = erlang_c(8000, 4000.0, 0.6)  # thousands of servers stay finite
    assert 0 <= big["p_wait"] <= 1
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(3, 3.0, 1.0)


def test_mmc_simulation_matches_erlang_c():
    lam, mu, c = 7.0, 1.0, 10  # utilisation 0.7; ~420k customers
    cfg = SimConfig(
        streams=[Stream("all", lam * 365)],
        examiners=c,
        service={"first-action": Dist(1 / mu)},
        days=60_000,
        arrivals="exact",
        warmup_days=500,
        sample_every=0,
        seed=1,
    )
    res = simulate(cfg)
    ref = erlang_c(c, lam, mu)
    w = res.wait_first_action
    assert w["mean_days"] == pytest.approx(ref["wq"], rel=0.05)
    assert res.mean_queue_length == pytest.approx(ref["lq"], rel=0.05)
    assert w["p_wait"] == pytest.approx(ref["p_wait"], rel=0.03)
    assert res.utilisation == pytest.approx(lam / (c * mu), rel=0.01)
    lo, hi = w["ci95_days"]
    assert lo <= ref["wq"] <= hi  # the closed form lies in the simulation's batch-means interval
    assert res.arrivals == pytest.approx(lam * 60_000, rel=0.01)


def test_daily_batches_keep_littles_law_and_the_arrival_rate():
    cfg = SimConfig(
        streams=[Stream("all", 50_000)],
        examiners=120,
        service={"first-action": Dist(0.8, "lognormal", 0.8)},
        days=1500,
        warmup_days=100,
        sample_every=30,
        seed=5,
    )
    res = simulate(cfg)
    lam = 50_000 / 365
    assert res.arrivals == pytest.approx(lam * 1500, rel=0.01)
    # Little: mean queue length = arrival rate x mean wait (arrivals after the warmup only)
    assert res.mean_queue_length == pytest.approx(lam * res.wait_first_action["mean_days"], rel=0.05)
    assert res.queue_series and res.queue_series[1]["day"] == 30


def test_priority_policy_shortens_the_fast_track_and_stages_run_to_decision():
    common = dict(
        streams=[Stream("normal", 9_000), Stream("fast", 1_000, fast=True)],
        examiners=30,
        service={"first-action": Dist(1.0), "further-action": Dist(0.4), "decision": Dist(0.25)},
        days=730,
        warmup_days=100,
        sample_every=0,
        initial_backlog=3_000,
        seed=2,
    )
    fifo = simulate(SimConfig(policy="fifo", **common))
    prio = simulate(SimConfig(policy="priority", **common))
    f_fifo = fifo.by_stream["fast"]["time_to_first_action"]["mean_days"]
    n_fifo = fifo.by_stream["normal"]["time_to_first_action"]["mean_days"]
    f_prio = prio.by_stream["fast"]["time_to_first_action"]["mean_days"]
    n_prio = prio.by_stream["normal"]["time_to_first_action"]["mean_days"]
    assert f_fifo == pytest.approx(n_fifo, rel=0.25)  # FIFO: one queue for all
    assert f_prio < 0.3 * n_prio  # priority: the fast track jumps the queue
    assert prio.decisions > 0 and prio.time_to_decision["p50_days"] > 120  # at least one applicant answer
    assert prio.time_to_decision["p90_months"] >= prio.time_to_decision["p50_months"]


def test_poisson_sampler_mean_and_variance():
    rng = random.Random(4)
    for lam in (3.0, 4384.0):
        xs = [poisson(rng, lam) for _ in range(20_000)]
        m = sum(xs) / len(xs)
        v = sum((x - m) ** 2 for x in xs) / (len(xs) - 1)
        assert m == pytest.approx(lam, rel=0.01) and v == pytest.approx(lam, rel=0.05)
    assert poisson(rng, 0) == 0


def test_config_is_validated_and_offered_load():
    cfg = cnipa_scale()
    assert 0.8 < cfg.offered_load() < 0.95
    with pytest.raises(ValueError, match="policy"):
        simulate(cnipa_scale(policy="lifo"))
    with pytest.raises(ValueError, match="first-action"):
        simulate(SimConfig(streams=[Stream("a", 1)], examiners=1, service={"decision": Dist(1)}))
    with pytest.raises(ValueError, match="distribution"):
        simulate(SimConfig(streams=[Stream("a", 100)], examiners=1, service={"first-action": Dist(1, "gamma")}))
