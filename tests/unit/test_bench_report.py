"""The benchmark's pure parts: percentiles, medians and spreads of repetitions, and judging targets."""
from __future__ import annotations

import pytest

from bench.report import fmt_spread, render_markdown
from bench.stats import percentile, ratio, spread, summarise_runs
from bench.targets import Target, evaluate


def test_a_percentile_interpolates_between_the_closest_ranks():
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([10, 20, 30, 40], 100) == 40
    assert percentile([7], 99) == 7


def test_a_percentile_of_nothing_is_none_and_out_of_range_is_refused():
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1, 2], 101)


def test_a_spread_is_the_median_with_the_lowest_and_highest_repetition():
    found = spread([120.0, 100.0, None, 140.0])
    assert (found.median, found.low, found.high) == (120.0, 100.0, 140.0)
    assert found.reps == (120.0, 100.0, 140.0)


def test_a_spread_of_repetitions_without_a_value_is_none():
    assert spread([None, None]) is None


def test_a_ratio_with_a_missing_or_zero_denominator_is_none():
    assert ratio(30, 60) == 0.5
    assert ratio(30, 0) is None
    assert ratio(None, 60) is None


def test_summarised_runs_count_every_error_of_every_repetition_by_kind():
    runs = [
        {"ok_per_s": 50.0, "latency_ms": {"p50": 10.0, "p95": 30.0, "p99": 40.0}, "errors": {"500": 2}},
        {"ok_per_s": 70.0, "latency_ms": {"p50": 12.0, "p95": 20.0, "p99": 60.0}, "errors": {"500": 1, "timeout": 3}},
        {"ok_per_s": 60.0, "latency_ms": {"p50": 11.0, "p95": 25.0, "p99": 50.0}, "errors": {}, "exhausted": True},
    ]
    summary = summarise_runs(runs)
    assert summary["ok_per_s"]["median"] == 60.0
    assert (summary["p99_ms"]["low"], summary["p99_ms"]["high"]) == (40.0, 60.0)
    assert summary["error_kinds"] == {"500": 3, "timeout": 3}
    assert summary["errors_total"] == 6
    assert summary["exhausted_runs"] == 1


def test_a_throughput_target_below_its_bound_is_not_met_and_says_by_how_much():
    target = Target("reads ≥ 50% of ceiling", 42.0, 50, "%", True)
    assert target.met is False
    assert target.verdict == "not met"
    assert target.gap == "8.0 points short"


def test_a_latency_target_must_be_strictly_under_its_bound():
    assert Target("p99 < 250 ms", 249.9, 250, "ms", False).met is True
    over = Target("p99 < 250 ms", 400.0, 250, "ms", False)
    assert over.met is False
    assert over.gap == "150 ms over"


def test_an_error_target_is_met_only_with_no_errors():
    assert Target("no errors", 0, 0, "errors", False).met is True
    assert Target("no errors", 3, 0, "errors", False).gap == "3 error(s)"


def test_a_figure_the_run_did_not_produce_is_not_measured_rather_than_met():
    target = Target("certificates ≥ 20/s", None, 20, "/s", True)
    assert target.met is None
    assert target.verdict == "not measured"
    assert target.gap == ""


def _level(accepted: float, ceiling: float, p99: float, errors: int = 0) -> dict:
    return {
        "gateway": {"ok_per_s": {"median": accepted}, "p99_ms": {"median": p99}, "errors_total": errors},
        "verify_sign": {"ok_per_s": {"median": ceiling}},
        "ratio_verify_sign": accepted / ceiling,
        "healthz": {"p99_ms": {"median": 12.0}},
    }


def test_evaluation_reads_each_target_from_the_results_of_its_mode():
    results = {
        "modes": {"postgresql": {
            "intake": {"16": _level(300, 400, 120), "64": _level(310, 420, 900, errors=2)},
            "reads": {"ratio": 0.7},
            "auto": {"p95_ms": {"median": 90.0}},
            "two_processes": {"ratio": 1.7},
        }},
        "certificates": {"generated_per_s": {"median": 25.0}},
        "queue": {"applications": 1_000_000, "first_page": {"p99_ms": 0.4}, "deep_page": {"p99_ms": 31.0}},
    }
    verdicts = {t.name: t.verdict for t in evaluate(results)}
    assert verdicts["postgresql: intake at 16 clients ≥ 60% of the verify-and-sign ceiling"] == "met"
    assert verdicts["postgresql: intake at 64 clients without errors"] == "not met"
    assert verdicts["postgresql: intake at 64 clients p99 < 1 s"] == "met"
    assert verdicts["embedded: signed status reads ≥ 50% of their ceiling"] == "not measured"
    assert verdicts["reviewer queue deep page p99 < 20 ms at 1,000,000 applications"] == "not met"
    assert verdicts["two API processes ≥ 1.6× one (PostgreSQL, intake at 64 clients)"] == "met"


def test_a_queue_measured_below_a_million_applications_says_so():
    queue = {"applications": 20_000, "first_page": {"p99_ms": 1.0}, "deep_page": {"p99_ms": 1.0}}
    first = next(t for t in evaluate({"queue": queue}) if t.name.startswith("reviewer queue first"))
    assert first.met is True
    assert "20,000" in first.note


def test_a_spread_is_shown_as_median_and_range_and_the_report_marks_verdicts():
    assert fmt_spread({"median": 60.0, "low": 50.0, "high": 70.0, "reps": [50.0, 60.0, 70.0]}, 1) == "60.0 (50.0–70.0)"
    assert fmt_spread({"median": 60.0, "low": 60.0, "high": 60.0, "reps": [60.0]}) == "60"
    results = {"targets": [t.as_dict() for t in evaluate({})]}
    assert "**not measured**" in render_markdown(results)
