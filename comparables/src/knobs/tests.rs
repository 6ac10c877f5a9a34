use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

#[test]
fn defaults_apply_when_unset() {
    let env = env_of(&[]);
    assert_eq!(BURST.read(&env).unwrap(), vec![256]);
    assert_eq!(FANOUT.read(&env).unwrap(), vec![4]);
    assert_eq!(CAP.read(&env).unwrap(), vec![2048]);
    assert_eq!(TLS_FLUSH_THRESHOLD.read(&env).unwrap(), vec![64]);
    assert_eq!(PAYLOAD.read(&env).unwrap(), vec![8]);
}

#[test]
fn canonical_beats_alias_and_alias_is_honoured() {
    let env = env_of(&[("BURST", "8"), ("RON_BURST", "16")]);
    assert_eq!(BURST.read(&env).unwrap(), vec![16]);
    let env = env_of(&[("BURST", "8"), ("RON_BENCH_BURST", "32")]);
    assert_eq!(BURST.read(&env).unwrap(), vec![32]);
    let env = env_of(&[("CAP", "64")]);
    assert_eq!(CAP.read(&env).unwrap(), vec![64]);
}

#[test]
fn comma_lists_expand_in_order_without_duplicates() {
    let env = env_of(&[("RON_BENCH_FANOUT", "1, 4,8,4")]);
    assert_eq!(FANOUT.read(&env).unwrap(), vec![1, 4, 8]);
}

#[test]
fn garbage_and_zero_name_the_variable() {
    let e = BURST
        .read(&env_of(&[("RON_BENCH_BURST", "abc")]))
        .unwrap_err();
    assert_eq!(e.var, "RON_BENCH_BURST");
    assert!(e.to_string().contains("abc"), "{e}");
    let e = FANOUT.read(&env_of(&[("FANOUT", "0")])).unwrap_err();
    assert_eq!(e.var, "FANOUT");
    assert!(e.reason.contains("1..=256"), "{e}");
    let e = CAP.read(&env_of(&[("CAP", "64,,8")])).unwrap_err();
    assert_eq!(e.var, "CAP");
}

#[test]
fn bounds_step_and_list_length_are_enforced() {
    let huge = u64::MAX.to_string();
    let e = FANOUT.parse("RON_BENCH_FANOUT", &huge).unwrap_err();
    assert!(e.reason.contains("1..=256"), "{e}");
    let e = PAYLOAD.parse("RON_BENCH_PAYLOAD", "12").unwrap_err();
    assert!(e.reason.contains("multiple of 8"), "{e}");
    assert_eq!(PAYLOAD.parse("x", "16,64").unwrap(), vec![16, 64]);
    let long: Vec<String> = (1..=65).map(|v| v.to_string()).collect();
    let e = BURST.parse("RON_BENCH_BURST", &long.join(",")).unwrap_err();
    assert!(e.reason.contains("more than 64"), "{e}");
}

#[test]
fn every_knob_default_is_inside_its_bounds_and_names_are_unique() {
    for k in &KNOBS {
        assert!(k.read(&env_of(&[])).is_ok(), "{}", k.var);
        assert_eq!(k.param.knob(), Some(k));
        assert!(k.help_line().contains(k.var));
    }
    for p in Param::ALL {
        assert_eq!(Param::from_name(p.name()), Some(p));
    }
    assert_eq!(TLS_FLUSH_THRESHOLD.flag(), "tls-thresh");
    for k in &KNOBS {
        assert_eq!(k.flag().replace('-', "_"), k.param.name());
    }
}

#[test]
fn cell_params_get_set_and_id() {
    let p = CellParams::default()
        .with(Param::Burst, Some(256))
        .with(Param::Fanout, Some(4));
    assert_eq!(p.id_suffix(), "/burst=256/fanout=4/cap=2048/tls_thresh=64");
    let q = p
        .with(Param::Payload, Some(16))
        .with(Param::PubYield, Some(1));
    assert_eq!(
        q.id_suffix(),
        "/burst=256/fanout=4/cap=2048/payload=16/pub_yield=1/tls_thresh=64"
    );
    assert_eq!(q.with(Param::Burst, None).burst, None);
    assert_eq!(q.with(Param::Payload, None).payload, DEFAULT_PAYLOAD);
    for param in Param::ALL {
        let v = q.get(param);
        assert_eq!(q.with(param, v), q, "{param}");
    }
}

#[test]
fn cell_params_json_omits_neutral_values() {
    let p = CellParams::default().with(Param::Fanout, Some(4));
    let j = serde_json::to_string(&p).unwrap();
    assert!(!j.contains("payload") && !j.contains("throttle"), "{j}");
    assert_eq!(serde_json::from_str::<CellParams>(&j).unwrap(), p);
    let wide = p.with(Param::Payload, Some(32));
    let j = serde_json::to_string(&wide).unwrap();
    assert_eq!(serde_json::from_str::<CellParams>(&j).unwrap(), wide);
}

#[test]
fn cfg_line_is_exact() {
    let p = CellParams::default()
        .with(Param::Burst, Some(256))
        .with(Param::Fanout, Some(4));
    assert_eq!(
        bench_cfg_line(&p),
        "[bench cfg] RON_TLS_FLUSH_THRESHOLD=64, burst=256, fanout=4, cap=2048"
    );
    assert_eq!(
        bench_cfg_line(&p.with(Param::Payload, Some(16))),
        "[bench cfg] RON_TLS_FLUSH_THRESHOLD=64, burst=256, fanout=4, cap=2048, payload=16"
    );
}
