//! A fixed set of several hundred bad inputs through `eqnemix locate`,
//! `config --check` and `cluster` (issue 16, "done when"; the readers
//! behind `pick`, `classify` and `traveltime --vp-grid` are fuzzed in
//! `fuzz/`): every input file of a small valid run (picks, stations,
//! probabilities, clusters, configuration; a catalog) is mutated in ways a
//! probe or a damaged archive produces (lines deleted, duplicated, swapped
//! or cut; one field replaced by an empty, NaN, infinite, huge, negative,
//! non-numeric, non-UTF-8 or NUL value; one byte flipped), each variant run
//! through the binary.
//!
//! Asserted for every variant: the process exits with a status (no abort,
//! no signal), never with a panic (status 101, "panicked" on stderr), and
//! leaves no temporary file; a catalog lists only events whose files were
//! written. The variants
//! come from a fixed seed, so the set is the same on every run; a run that
//! exceeds a generous watchdog (10 minutes, against well under a second
//! expected) is reported as a hang. `--memory-limit 4` keeps a variant
//! that asks for an absurd size from allocating it (it must be refused).

mod common;

use common::{exact_pick_rows, write_three_clusters, THREE_SOURCES};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The valid inputs: `(file name, contents)`, in the order the command
/// line takes them (config, picks, stations, probabilities, clusters).
fn valid_inputs(dir: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let utc = |t: f64| format!("2021-03-04T05:{:02}:{:09.6}Z", (t / 60.0) as u32, t % 60.0);
    let mut picks = String::from("event_id,station,phase,time_utc,sigma_s,back_azimuth_deg,sigma_back_azimuth_deg\n");
    let mut probs = String::from("start_time,end_time,clusters_prob\n");
    for (i, x) in THREE_SOURCES.iter().enumerate() {
        let t0 = 100.0 * i as f64;
        picks += &exact_pick_rows(&format!("ev{i}"), *x, t0, utc);
        let mut w = [0.1; 3];
        w[i] = 0.8;
        probs += &format!("{},{},{};{};{}\n", utc(t0), utc(t0 + 60.0), w[0], w[1], w[2]);
    }
    let clusters = std::fs::read(write_three_clusters(dir)).unwrap();
    let config = "n_chains = 2\nseed = 3\n[travel_time]\nkind = \"homogeneous\"\nvp_km_s = 6.0\nvs_km_s = 3.5\n\
                  [sampler]\nkind = \"smc\"\nn_particles = 300\n";
    vec![
        ("cfg.toml", config.as_bytes().to_vec()),
        ("picks.csv", picks.into_bytes()),
        ("stations.csv", b"station,east_km,north_km,depth_km\nSTA,0,0,0\n".to_vec()),
        ("probs.csv", probs.into_bytes()),
        ("clusters_gaussian.json", clusters),
    ]
}

/// Values a field is replaced by.
const BAD_VALUES: &[&str] = &[
    "", "NaN", "inf", "-inf", "1e308", "-1e308", "1e400", "0", "-1", "abc", "9999999999999", "\u{0}", "é", "[", "\"",
    "2021-13-45T99:99:99Z", "1e-320",
];

/// Several variants of `text` (one file), from `rng`.
fn mutations(text: &[u8], rng: &mut ChaCha8Rng) -> Vec<Vec<u8>> {
    let s = String::from_utf8_lossy(text).into_owned();
    let lines: Vec<&str> = s.lines().collect();
    let join = |ls: &[&str]| (ls.join("\n") + "\n").into_bytes();
    let mut out = vec![Vec::new(), join(&lines[..1])];
    for i in 0..lines.len() {
        let mut ls = lines.clone();
        ls.remove(i);
        out.push(join(&ls));
        let mut ls = lines.clone();
        ls.insert(i, lines[i]);
        out.push(join(&ls));
    }
    for _ in 0..4 {
        let (a, b) = (rng.gen_range(0..lines.len()), rng.gen_range(0..lines.len()));
        let mut ls = lines.clone();
        ls.swap(a, b);
        out.push(join(&ls));
        out.push(text[..rng.gen_range(0..text.len())].to_vec());
    }
    // One token (a run of characters between separators) replaced by each bad value.
    let is_sep = |c: char| matches!(c, ',' | '\n' | ';' | '=' | ':' | '[' | ']' | '{' | '}' | ' ');
    let tokens: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        let mut start = None;
        for (i, c) in s.char_indices() {
            match (is_sep(c), start) {
                (false, None) => start = Some(i),
                (true, Some(a)) => {
                    v.push((a, i));
                    start = None;
                }
                _ => {}
            }
        }
        v
    };
    for bad in BAD_VALUES {
        for _ in 0..2 {
            let (a, b) = tokens[rng.gen_range(0..tokens.len())];
            out.push(format!("{}{bad}{}", &s[..a], &s[b..]).into_bytes());
        }
    }
    // Bytes flipped, invalid UTF-8 included.
    for _ in 0..6 {
        let mut t = text.to_vec();
        let i = rng.gen_range(0..t.len());
        t[i] = rng.gen();
        out.push(t);
    }
    out
}

/// The command line of a variant: its input files (in the order of the
/// valid set) and its output folder.
type ArgsOf = dyn Fn(&[PathBuf], &Path) -> Vec<std::ffi::OsString> + Sync;

/// Run every variant of `valid` (each file mutated in turn, seed `seed`)
/// through `args_of`, two at a time; return (variants, refused).
fn check_variants(base: &Path, valid: &[(&str, Vec<u8>)], seed: u64, args_of: &ArgsOf) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cases: Vec<(usize, Vec<u8>)> = Vec::new();
    for (f, (_, text)) in valid.iter().enumerate() {
        cases.extend(mutations(text, &mut rng).into_iter().map(|m| (f, m)));
    }
    let run = |case: usize, file: Option<(usize, &[u8])>| -> Result<(bool, String), String> {
        let dir = base.join(format!("case{seed}_{case}"));
        std::fs::create_dir_all(&dir).unwrap();
        let paths: Vec<PathBuf> = valid
            .iter()
            .enumerate()
            .map(|(f, (name, text))| {
                let p = dir.join(name);
                let body = match file {
                    Some((g, m)) if g == f => m,
                    _ => text.as_slice(),
                };
                std::fs::write(&p, body).unwrap();
                p
            })
            .collect();
        let out = dir.join("out");
        let mut child = Command::new(env!("CARGO_BIN_EXE_eqnemix"))
            .args(["--memory-limit", "4"])
            .args(args_of(&paths, &out))
            .env("RAYON_NUM_THREADS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read stderr while waiting (a full pipe would stall the child).
        let mut pipe = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut e = String::new();
            let _ = std::io::Read::read_to_string(&mut pipe, &mut e);
            e
        });
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > Duration::from_secs(600) {
                let _ = child.kill();
                return Err(format!("case {case}: no exit after 600 s (hang)"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = reader.join().unwrap();
        let what = |why: &str| format!("case {seed}/{case} ({why}): status {status:?}\nstderr:\n{stderr}");
        match status.code() {
            None => return Err(what("killed by a signal: abort?")),
            Some(101) => return Err(what("panic")),
            Some(_) if stderr.contains("panicked") => return Err(what("panic")),
            _ => {}
        }
        if out.exists() {
            for e in std::fs::read_dir(&out).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                if name.starts_with(".eqnemix-tmp") {
                    return Err(what(&format!("temporary file {name} left")));
                }
            }
            // A run whose events partly failed exits non-zero and may write
            // the catalog of the others: every event it lists has its files.
            if let Ok(mut r) = csv::Reader::from_path(out.join("catalog.csv")) {
                let col = r.headers().ok().and_then(|h| h.iter().position(|c| c == "event_id"));
                for row in r.records() {
                    let row = row.map_err(|e| what(&format!("catalog.csv does not parse: {e}")))?;
                    let id = &row[col.ok_or_else(|| what("catalog.csv has no event_id"))?];
                    if !out.join(format!("{id}.json")).exists() {
                        return Err(what(&format!("catalog.csv lists {id} without its {id}.json")));
                    }
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
        Ok((status.success(), stderr))
    };
    // The valid run succeeds (so the variants test the inputs, not the setup).
    let (ok, stderr) = run(usize::MAX, None).unwrap();
    assert!(ok, "the valid inputs fail:\n{stderr}");

    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    let n_err = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((f, m)) = cases.get(i) else { break };
                match run(i, Some((*f, m))) {
                    Ok((true, _)) => {}
                    Ok((false, _)) => {
                        n_err.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(e) => failures.lock().unwrap().push(e),
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} of {} variants failed:\n{}", failures.len(), cases.len(), failures.join("\n\n"));
    (cases.len(), n_err.into_inner())
}

#[test]
fn several_hundred_bad_inputs_give_no_panic_abort_hang_or_half_written_output() {
    let base = tempfile::tempdir().unwrap();
    let mut total = 0;

    // `locate`: every one of its five inputs.
    let valid = valid_inputs(base.path());
    let (n, refused) = check_variants(base.path(), &valid, 16, &|p, out| {
        let mut a: Vec<std::ffi::OsString> = vec!["locate".into(), "--quiet".into()];
        for (flag, path) in ["--config", "--picks", "--stations", "--probabilities", "--clusters"].iter().zip(p) {
            a.push(flag.into());
            a.push(path.into());
        }
        a.extend(["--out".into(), out.into()]);
        a
    });
    // Most variants are refused with an error; some are harmless (a
    // duplicated line the reader tolerates): both are fine, but the set
    // must exercise the refusals.
    assert!(refused > n / 3, "locate: only {refused} of {n} variants refused");
    total += n;

    // `config --check`: the configuration alone.
    let cfg = vec![("cfg.toml", valid[0].1.clone())];
    eprintln!("locate: {n} variants, {refused} refused");
    let (n, refused) = check_variants(base.path(), &cfg, 17, &|p, _| vec!["config".into(), "--check".into(), p[0].clone().into()]);
    eprintln!("config --check: {n} variants, {refused} refused");
    total += n;

    // `cluster`: a small catalog (the first 12 events of the sample).
    let sample = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/catalog/ridgecrest_synthetic.csv")).unwrap();
    let catalog: String = sample.lines().filter(|l| !l.starts_with('#')).take(13).map(|l| format!("{l}\n")).collect();
    let (n, refused) = check_variants(base.path(), &[("catalog.csv", catalog.into_bytes())], 18, &|p, out| {
        ["cluster", "--src"].iter().map(|s| s.into()).chain([p[0].clone().into()]).chain(
            ["--dst".into(), out.into()]).chain(
            ["--n-components", "2", "--model", "KMeans", "--seed", "1", "--origin-lon", "-117.6", "--origin-lat", "35.7"].iter().map(|s| s.into()),
        ).collect()
    });
    eprintln!("cluster: {n} variants, {refused} refused");
    assert!(refused > 0, "cluster: no variant of {n} refused");
    total += n;
    assert!(total >= 300, "{total} variants");
}
