//! End to end: series -> policy plan -> evaluation -> report -> every exporter.

mod common;

use std::path::PathBuf;
use std::process::Command;

use ron_bench_report::analysis::{evaluate, Verdict};
use ron_bench_report::export::{
    BencherExporter, ChangeChart, ChartFormat, CritcmpExporter, CsvExporter, Exporter, HeatValue,
    HeatmapChart, JsonExporter, MarkdownExporter, ScalingChart, Side,
};
use ron_bench_report::policy::Policy;
use ron_bench_report::report::{CounterSanity, Decision, Meta, Report, WakeMetrics};

fn build_report() -> Report {
    let run = common::sample_run();
    let policy = Policy::mog(&common::vocab())
        .unwrap()
        .only(&[
            "A1-subs4-cap64",
            "A1-subs8plus",
            "A5-subs4plus",
            "CLAIM-2x",
            "B4-throughput",
            "B4-p95",
        ])
        .unwrap();
    let plan = policy.plan(&[], &run);
    let cfg = common::fast_config();
    let eval = evaluate(&plan.cells, &plan.checks, &cfg);
    let meta = Meta {
        label: "PR-2 A1+A5 edge notify".into(),
        date: "2025-11-21".into(),
        baseline: "same-run reference build (flags off)".into(),
        features_on: vec!["bus_edge_notify".into(), "bus_coalesce".into()],
        machine: "Intel Xeon (2 cores), 24 GiB, Linux 6.1, rustc 1.95.0".into(),
        cross_machine: false,
        policy: format!("{} ({})", policy.name, policy.origin),
        analysis: cfg,
        notes: vec!["edge notify suppresses most wakes at fanout >= 4".into()],
    };
    Report::build(meta, &plan.cells, &plan.checks, &eval)
        .with_points(&run)
        .with_wake(WakeMetrics {
            notify_sends_delta: 1200,
            notify_suppressed_delta: 10800,
        })
        .with_counters(CounterSanity {
            lag_total_base: Some(0),
            lag_total_new: Some(0),
            batch_publish_delta: None,
            batch_len_p50: None,
            batch_len_p95: None,
        })
}

fn export(e: &dyn Exporter, r: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    e.export(r, &mut out).unwrap();
    out
}

#[test]
fn verdicts_follow_the_data() {
    let r = build_report();
    let by_gate = |g: &str| -> Vec<Verdict> {
        r.rows
            .iter()
            .filter(|x| x.gate_id == g)
            .map(|x| x.verdict)
            .collect()
    };
    assert_eq!(by_gate("A1-subs4-cap64"), vec![Verdict::Pass]); // +18% >= 10%
    assert_eq!(by_gate("A1-subs8plus"), vec![Verdict::Pass]); // +25% >= 20%
    assert_eq!(by_gate("A5-subs4plus"), vec![Verdict::Pass, Verdict::Pass]);
    assert_eq!(by_gate("B4-throughput"), vec![Verdict::Pass]); // +6%, significant
    assert_eq!(by_gate("B4-p95"), vec![Verdict::Regressed]); // +25% > 10%
                                                             // Claim: ron-bus vs best other at fanout 8 and 16 (cap 2048 >= every burst): 3 bursts x 2.
    let claim = by_gate("CLAIM-2x");
    assert_eq!(claim.len(), 6);
    assert!(claim.iter().all(|v| *v != Verdict::Missing));
    assert!(r
        .rows
        .iter()
        .filter(|x| x.gate_id == "CLAIM-2x")
        .all(|x| x.cell.contains("vs bus-crate")));
    assert_eq!(r.decision, Decision::Revert);
    assert!(!r.outcome.passed);
    assert_eq!(r.outcome.exit_code, 1);
    assert!(r
        .outcome
        .failing
        .iter()
        .any(|f| f.starts_with("B4-p95 @ latency/")));
    // The same cell under A1 and A5 is compared once: identical numbers.
    let a1 = r
        .rows
        .iter()
        .find(|x| x.gate_id == "A1-subs4-cap64")
        .unwrap();
    let a5 = r
        .rows
        .iter()
        .find(|x| x.gate_id == "A5-subs4plus" && x.cell == a1.cell)
        .unwrap();
    assert_eq!((a1.delta_pct, a1.q_value), (a5.delta_pct, a5.q_value));
}

#[test]
fn markdown_reproduces_the_notes_template_and_is_byte_stable() {
    let r = build_report();
    let md = String::from_utf8(export(&MarkdownExporter::default(), &r)).unwrap();
    assert_eq!(
        md,
        String::from_utf8(export(&MarkdownExporter::default(), &build_report())).unwrap()
    );
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0],
        "## MOG Results — ron-kernel / PR-2 A1+A5 edge notify — 2025-11-21"
    );
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "Baseline: same-run reference build (flags off)");
    assert_eq!(lines[3], "Features ON: bus_edge_notify, bus_coalesce");
    assert_eq!(lines[5], "Top deltas (wins/losses):");
    assert!(md.contains("\nWake metrics:\n- bus_notify_sends_total:       +1200\n- bus_notify_suppressed_total:  +10800 (suppression = 10800/(1200+10800) = 90.0%)\n"));
    assert!(md.contains("\nCounters sanity:\n- bus_receiver_lag_total: flat\n- bus_batch_publish_total: n/a; batch_len p50/p95: n/a/n/a\n"));
    assert!(md.contains("\nNotes & risks:\n- edge notify suppresses most wakes at fanout >= 4\n- B4-p95 regressed: latency ron-bus+bus_coalesce fanout=4 cap=128"));
    assert!(md.contains("\nDecision: revert\n"));
    assert!(md.contains("Benjamini-Hochberg"));
    insta::assert_snapshot!("markdown", md);
}

#[test]
fn csv_json_bencher_are_stable_and_parse() {
    let r = build_report();
    let csv = String::from_utf8(export(&CsvExporter, &r)).unwrap();
    assert_eq!(csv.lines().count(), r.rows.len() + 1);
    assert!(csv.starts_with("gate,kind,threshold_pct,cell,metric,unit,direction,paired,"));
    insta::assert_snapshot!("csv", csv);

    let json = export(&JsonExporter, &r);
    let back = Report::from_json(std::str::from_utf8(&json).unwrap()).unwrap();
    assert_eq!(back.schema, "ron-bench/report/v1");
    assert_eq!(back.rows.len(), r.rows.len());
    assert_eq!(back.outcome, r.outcome);
    assert!(Report::from_json(
        &String::from_utf8(json)
            .unwrap()
            .replace("report/v1", "report/v9")
    )
    .is_err());

    let bmf: serde_json::Value = serde_json::from_slice(&export(&BencherExporter, &r)).unwrap();
    let obj = bmf.as_object().unwrap();
    let (name, measures) = obj.iter().next().unwrap();
    assert!(!name.contains(":deliveries_per_sec"));
    let m = measures.as_object().unwrap().values().next().unwrap();
    assert!(m["lower_value"].as_f64().unwrap() <= m["value"].as_f64().unwrap());
    assert!(m["value"].as_f64().unwrap() <= m["upper_value"].as_f64().unwrap());
}

fn out_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ron-bench-report")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn critcmp_export_is_read_by_critcmp() {
    let r = build_report();
    let dir = out_dir("critcmp");
    let base = export(
        &CritcmpExporter {
            name: "reference".into(),
            side: Side::Base,
        },
        &r,
    );
    let new = export(
        &CritcmpExporter {
            name: "candidate".into(),
            side: Side::New,
        },
        &r,
    );
    let v: serde_json::Value = serde_json::from_slice(&new).unwrap();
    assert_eq!(v["name"], "candidate");
    let (id, b) = v["benchmarks"].as_object().unwrap().iter().next().unwrap();
    assert_eq!(b["fullname"], format!("candidate/{id}"));
    assert!(
        b["criterion_estimates_v1"]["mean"]["point_estimate"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    std::fs::write(dir.join("reference.json"), &base).unwrap();
    std::fs::write(dir.join("candidate.json"), &new).unwrap();
    match Command::new("critcmp")
        .arg("--target-dir")
        .arg(&dir)
        .arg(dir.join("reference.json"))
        .arg(dir.join("candidate.json"))
        .output()
    {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "critcmp failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                stdout.contains("reference") && stdout.contains("candidate"),
                "{stdout}"
            );
            assert!(
                stdout.contains("Elem/sec"),
                "per-second metrics come back as rates: {stdout}"
            );
        }
        Err(_) => println!("note: critcmp is not on PATH; skipped running it on the export"),
    }
}

#[test]
fn charts_render_to_svg_and_png() {
    let r = build_report();
    let dir = out_dir("charts");
    let mut scaling = ScalingChart::new("burst_fanout");
    scaling.fixed.insert("burst".into(), "256".into());
    let heat_delta = HeatmapChart::new(HeatValue::Delta {
        metric: "deliveries_per_sec".into(),
        gate: Some("CLAIM-2x".into()),
    });
    let heat_median = HeatmapChart::new(HeatValue::Median {
        scenario: "burst_fanout".into(),
        contender: "ron-bus".into(),
        metric: "deliveries_per_sec".into(),
    });
    type MakeChart = Box<dyn Fn(ChartFormat) -> Box<dyn Exporter>>;
    let charts: Vec<(&str, MakeChart)> = vec![
        (
            "change",
            Box::new(|f| {
                Box::new(ChangeChart {
                    format: f,
                    width: 1400,
                })
            }),
        ),
        (
            "scaling",
            Box::new(move |f| {
                let mut s = scaling.clone();
                s.format = f;
                Box::new(s)
            }),
        ),
        (
            "heatmap_delta",
            Box::new(move |f| {
                let mut h = heat_delta.clone();
                h.format = f;
                Box::new(h)
            }),
        ),
        (
            "heatmap_median",
            Box::new(move |f| {
                let mut h = heat_median.clone();
                h.format = f;
                Box::new(h)
            }),
        ),
    ];
    for (name, make) in &charts {
        for format in [ChartFormat::Svg, ChartFormat::Png] {
            let e = make(format);
            let bytes = export(e.as_ref(), &r);
            let path = dir.join(format!("{name}.{}", e.extension()));
            std::fs::write(&path, &bytes).unwrap();
            match format {
                ChartFormat::Svg => {
                    let s = String::from_utf8(bytes).unwrap();
                    assert!(s.starts_with("<svg") && s.contains("<text"), "{name}");
                }
                ChartFormat::Png => {
                    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
                    assert!(bytes.len() > 5_000, "{name} PNG looks empty");
                }
            }
        }
    }
    println!("charts written to {}", dir.display());
    // Charts with nothing to draw are an error, not an empty picture.
    let mut empty = ScalingChart::new("nope");
    empty.format = ChartFormat::Svg;
    assert!(empty.export(&r, &mut Vec::new()).is_err());
}

/// Exports `e` on another thread; `None` when it has not finished within a minute (a hang).
fn export_within_a_minute(e: Box<dyn Exporter + Send>, r: Report) -> Option<bool> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(e.export(&r, &mut Vec::new()).is_ok());
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).ok()
}

#[test]
fn charts_refuse_axes_that_overflow_instead_of_hanging() {
    // A median near f64::MAX: the scaling chart's log axis (max x 1.6) overflowed to infinity
    // and plotters never finished walking it.
    let mut r = build_report();
    for p in &mut r.points {
        p.summary.median = f64::MAX * 0.9;
    }
    let mut scaling = ScalingChart::new("burst_fanout");
    scaling.format = ChartFormat::Svg;
    let done = export_within_a_minute(Box::new(scaling), r);
    assert_eq!(done, Some(false), "hung (None) or drew an infinite axis");
    // A change of f64::MAX percent: the symmetric-log change axis maps it to a finite position
    // (~3100) with a bounded number of ticks, so it renders, and quickly.
    let mut r = build_report();
    r.rows[0].delta_pct = Some(f64::MAX);
    let change = ChangeChart {
        format: ChartFormat::Svg,
        width: 1400,
    };
    assert_eq!(export_within_a_minute(Box::new(change), r), Some(true));
}

#[test]
fn terminal_table_fits_its_width() {
    let r = build_report();
    for width in [80usize, 100, 140, 60] {
        let t = ron_bench_report::export::TerminalTable {
            width,
            color: false,
        }
        .render(&r);
        for line in t.lines() {
            assert!(
                line.chars().count() <= width,
                "{width}: {} > {width}: {line}",
                line.chars().count()
            );
        }
        if width == 100 {
            insta::assert_snapshot!("terminal_100", t);
        }
        if width == 80 {
            insta::assert_snapshot!("terminal_80", t);
        }
    }
}

#[test]
fn terminal_colours_only_the_verdicts_that_need_attention() {
    let r = build_report();
    let plain = ron_bench_report::export::TerminalTable {
        width: 100,
        color: false,
    }
    .render(&r);
    let coloured = ron_bench_report::export::TerminalTable {
        width: 100,
        color: true,
    }
    .render(&r);
    assert!(!plain.contains('\u{1b}'));
    let red_line = coloured
        .lines()
        .find(|l| l.contains("REGRESSED"))
        .expect("a regressed row");
    assert!(red_line.contains("\u{1b}[31"), "{red_line:?}");
    // PASS rows carry no escape; stripping the escapes gives the plain table back.
    assert!(coloured
        .lines()
        .filter(|l| l.contains("PASS"))
        .all(|l| !l.contains('\u{1b}')));
    let strip = |s: &str| {
        let mut out = String::new();
        let mut esc = false;
        for c in s.chars() {
            match (esc, c) {
                (false, '\u{1b}') => esc = true,
                (true, 'm') => esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    };
    assert_eq!(strip(&coloured), plain);
}

#[test]
fn pr_comment_summarises_above_the_notes_and_folds_the_table() {
    let r = build_report();
    let md = String::from_utf8(export(&MarkdownExporter::pr_comment(), &r)).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    // The one-line summary: each failing check with its change, its limit and its verdict.
    assert_eq!(lines[0], "**FAIL**: `B4-p95 +24.2% (limit +10%) regressed`");
    // The NOTES block follows, unchanged.
    let notes = String::from_utf8(export(
        &MarkdownExporter {
            full_table: false,
            ..MarkdownExporter::default()
        },
        &r,
    ))
    .unwrap();
    assert!(md.contains(&notes), "the NOTES block is reproduced as is");
    // Heading levels in order: the NOTES `##` is the only heading; the table is folded.
    let headings: Vec<&&str> = lines.iter().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headings.len(), 1, "{headings:?}");
    assert!(headings[0].starts_with("## MOG Results"));
    assert!(md.contains("<details><summary>All 12 checks"));
    assert!(md.trim_end().ends_with("</details>"));
    assert!(md.contains("| rule "));
    insta::assert_snapshot!("pr_comment", md);
}

#[test]
fn pr_comment_summary_of_a_passing_gate_names_the_undecided_checks() {
    let mut r = build_report();
    r.rows.retain(|x| x.verdict != Verdict::Regressed);
    r.rows[0].verdict = Verdict::Inconclusive;
    let counts = |v: Verdict| r.rows.iter().filter(|x| x.verdict == v).count();
    r.outcome.counts.pass = counts(Verdict::Pass);
    r.outcome.counts.inconclusive = counts(Verdict::Inconclusive);
    r.outcome.counts.regressed = 0;
    let md = String::from_utf8(export(&MarkdownExporter::pr_comment(), &r)).unwrap();
    assert_eq!(
        md.lines().next().unwrap(),
        "**PASS**: 11 checks: 10 pass, 1 inconclusive (undecided: A1-subs4-cap64)"
    );
}
