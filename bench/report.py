"""The benchmark report: ``report.json`` (everything, raw repetitions included) and ``report.md``."""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

METHOD = """\
Each figure is the median of the repetitions, with the lowest and highest in brackets.
Load comes from separate processes on loopback (`bench.load`, aiohttp): closed loops of N
clients for intake and reads, open loops at a fixed rate for the half load and the
automatic-result path, `/healthz` probed every 50 ms by its own process. Every application is
distinct, valid and signed before its run; the ceilings get the same documents, served by
uvicorn the same way (same host, same process count). Errors count every answer other than
the expected one over the whole run, warm-up included. How to reproduce: docs/performance.md."""


def fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}"


def fmt_spread(figure: Mapping | None, digits: int = 0, unit: str = "") -> str:
    """``median (low–high)`` of a spread; one value when there was one repetition."""
    if not figure:
        return "–"
    if len(figure.get("reps", ())) <= 1 or figure["low"] == figure["high"]:
        return fmt(figure["median"], digits, unit)
    return f"{fmt(figure['median'], digits, unit)} ({fmt(figure['low'], digits)}–{fmt(figure['high'], digits)})"


def fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _errors(summary: Mapping | None) -> str:
    if not summary:
        return "–"
    kinds = summary.get("error_kinds") or {}
    if not kinds:
        return "0"
    return f"{summary['errors_total']} ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))})"


def _machine(results: Mapping) -> list[str]:
    machine, meta = results.get("machine", {}), results.get("meta", {})
    config = meta.get("config", {})
    return [
        "| | |", "|---|---|",
        f"| when | {meta.get('started_at', '?')} – {meta.get('finished_at', '?')} ({meta.get('minutes', '?')} min) |",
        f"| machine | {machine.get('nproc')} CPUs ({machine.get('cpu_model')}), {machine.get('memory_gb')} GB, {machine.get('os')} |",
        f"| load average (1, 5, 15 min) | at start {machine.get('load_average_at_start')}, at end "
        f"{machine.get('load_average_at_end')} (other work on the machine) |",
        f"| software | Python {machine.get('python')}, PostgreSQL {machine.get('postgresql')}, Redis {machine.get('redis')} |",
        f"| commit | {machine.get('git_commit', '?')[:12]}{' (with uncommitted changes)' if machine.get('git_dirty') else ''} |",
        f"| runs | {config.get('reps')} repetitions × {config.get('duration')} s after {config.get('warmup')} s warm-up"
        f"{'; QUICK smoke run: not a measurement' if config.get('quick') else ''} |",
    ]


def _targets(results: Mapping) -> list[str]:
    lines = ["| target | measured | verdict | gap |", "|---|---|---|---|"]
    for target in results.get("targets", []):
        unit = {"%": "%", "ms": " ms", "/s": "/s", "×": "×", "errors": " errors"}[target["unit"]]
        digits = 2 if target["unit"] == "×" else 0
        note = f" ({target['note']})" if target.get("note") else ""
        lines.append(f"| {target['name']}{note} | {fmt(target['measured'], digits, unit)} | **{target['verdict']}** | "
                     f"{target['gap']} |")
    return lines


def _intake(mode: str, results: Mapping) -> list[str]:
    lines = [f"### {mode}", "",
             "| clients | gateway accepted/s | p50 ms | p99 ms | errors | verify ceiling /s | verify+sign ceiling /s "
             "| gateway / verify+sign | /healthz p99 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for clients, level in (results.get("intake") or {}).items():
        gateway = level.get("gateway")
        lines.append(
            f"| {clients} | {fmt_spread(gateway and gateway['ok_per_s'], 1)} | {fmt_spread(gateway and gateway['p50_ms'], 1)} "
            f"| {fmt_spread(gateway and gateway['p99_ms'], 1)} | {_errors(gateway)} "
            f"| {fmt_spread((level.get('verify') or {}).get('ok_per_s'), 1)} "
            f"| {fmt_spread((level.get('verify_sign') or {}).get('ok_per_s'), 1)} | {fmt_ratio(level.get('ratio_verify_sign'))} "
            f"| {fmt_spread((level.get('healthz') or {}).get('p99_ms'), 1)} |")
    return lines + [""]


def _reads_and_auto(mode: str, results: Mapping) -> list[str]:
    reads, auto = results.get("reads") or {}, results.get("auto") or {}
    lines = [f"### {mode}", ""]
    if reads.get("gateway"):
        lines.append(f"- signed status reads at {reads.get('clients')} clients: {fmt_spread(reads['gateway']['ok_per_s'], 1)}/s "
                     f"(p99 {fmt_spread(reads['gateway']['p99_ms'], 1)} ms, errors {_errors(reads['gateway'])}); "
                     f"signature-only ceiling {fmt_spread(reads['ceiling']['ok_per_s'], 1)}/s; "
                     f"ratio {fmt_ratio(reads.get('ratio'))}")
    if auto.get("p95_ms") is not None or auto.get("runs"):
        lines.append(f"- automatic result (discharge by the mortgagee, submission → signed result) at "
                     f"{fmt(auto.get('discharge_rate'), 1)}/s while intake runs open-loop at {fmt(auto.get('intake_rate_target'), 1)}/s "
                     f"(achieved {fmt_spread((auto.get('intake') or {}).get('ok_per_s'), 1)}/s): "
                     f"p50 {fmt_spread(auto.get('p50_ms'), 1)} ms, p95 {fmt_spread(auto.get('p95_ms'), 1)} ms, "
                     f"errors {_errors(auto)}")
    memory = results.get("memory_mb") or {}
    for name, figure in memory.items():
        lines.append(f"- peak resident memory, {name}: {fmt(figure.get('sum_of_peaks_mb'))} MB "
                     f"({figure.get('processes')} process(es), sum of per-process peaks)")
    two = results.get("two_processes")
    if two and "error" not in two:
        lines.append(f"- two API processes, intake at {two.get('clients')} clients: {fmt_spread(two['gateway']['ok_per_s'], 1)}/s "
                     f"(p99 {fmt_spread(two['gateway']['p99_ms'], 1)} ms, errors {_errors(two['gateway'])}) = "
                     f"{fmt(two.get('ratio'), 2)}× one process; the verify+sign ceiling on two processes "
                     f"{fmt_spread(two['verify_sign']['ok_per_s'], 1)}/s = {fmt(two.get('ceiling_ratio'), 2)}× its one-process "
                     f"figure; peak memory {fmt((two.get('memory_mb') or {}).get('api', {}).get('sum_of_peaks_mb'))} MB")
    elif two:
        lines.append(f"- two API processes: {two['error']}")
    if results.get("error"):
        lines.append(f"- **failed**: {results['error']}")
    return lines + [""]


def _certificates_and_queue(results: Mapping) -> list[str]:
    certificates, queue = results.get("certificates") or {}, results.get("queue") or {}
    lines = ["## Certificates and the reviewer queue", ""]
    if "error" in certificates:
        lines.append(f"- certificates: **failed**: {certificates['error']}")
    elif certificates:
        lines.append(f"- certificates made (render + seal) per second, one process: "
                     f"{fmt_spread(certificates.get('generated_per_s'), 1)}; pyHanko sealing an already-rendered PDF "
                     f"alone: {fmt_spread(certificates.get('seal_only_per_s'), 1)} ({fmt_ratio(certificates.get('ratio'))})")
    if "error" in queue:
        lines.append(f"- reviewer queue: **failed**: {queue['error']}")
    elif queue:
        first, deep = queue.get("first_page") or {}, queue.get("deep_page") or {}
        lines.append(f"- reviewer queue at {fmt(queue.get('applications'))} applications (loaded in "
                     f"{fmt(queue.get('load_seconds'))} s): first page p50 {fmt(first.get('p50_ms'), 2)} ms, "
                     f"p99 {fmt(first.get('p99_ms'), 2)} ms; deep page p50 {fmt(deep.get('p50_ms'), 2)} ms, "
                     f"p99 {fmt(deep.get('p99_ms'), 2)} ms")
        for name, plan in (queue.get("plans") or {}).items():
            lines += ["", f"Plan, {name}:", "", "```", str(plan).strip(), "```"]
    return lines + [""]


def _batch(results: Mapping) -> list[str]:
    batch = results.get("batch") or {}
    if not batch:
        return []
    if "error" in batch:
        return ["## The batch channel", "", f"- **failed**: {batch['error']}", ""]
    single = batch.get("single") or {}
    return ["## The batch channel", "",
            f"- a batch of {fmt(batch.get('items'))} items ({fmt((batch.get('bundle_bytes') or 0) / 1_048_576, 1)} MiB "
            f"ZIP), embedded mode: answered in {fmt(batch.get('upload_s'), 1)} s, every item received or refused "
            f"after {fmt(batch.get('total_s'), 1)} s = **{fmt(batch.get('items_per_s'), 1)} items/s**; accepted "
            f"{fmt(batch.get('accepted'))}, refused {fmt(batch.get('refused'))}, receipts in the inbox "
            f"{fmt(batch.get('receipts_in_inbox'))}",
            f"- single-request intake on the same server, same run, {batch.get('single_clients')} clients: "
            f"{fmt_spread(single.get('ok_per_s'), 1)}/s (errors {_errors(single)}); batch / single = "
            f"**{fmt_ratio(batch.get('ratio'))}**",
            f"- peak memory of the API process: {fmt((batch.get('memory_mb') or {}).get('sum_of_peaks_mb'))} MB", ""]


def render_markdown(results: Mapping) -> str:
    modes = results.get("modes", {})
    lines = ["# Gateway benchmark", "", *_machine(results), "", "## Targets (issue 8)", "", *_targets(results), "",
             "## Intake: the gateway next to its signature ceilings", ""]
    for mode, mode_results in modes.items():
        lines += _intake(mode, mode_results)
    lines += ["## Reads, the automatic result, memory and scaling", ""]
    for mode, mode_results in modes.items():
        lines += _reads_and_auto(mode, mode_results)
    lines += _certificates_and_queue(results)
    lines += _batch(results)
    lines += ["## Method", "", METHOD, ""]
    if results.get("errors"):
        lines += ["## Errors", "", *(f"- {error}" for error in results["errors"]), ""]
    return "\n".join(lines)


def write_report(out_dir: Path, results: Mapping) -> str:
    """Write report.json and report.md into ``out_dir``; return the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    markdown = render_markdown(results)
    (out_dir / "report.md").write_text(markdown)
    return markdown
