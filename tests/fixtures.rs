//! Every case of `fixtures/TESTLIST`: the real binary on a sample capture, with its flags;
//! stdout, stderr and exit status must be the expected files, byte for byte.

use std::path::Path;
use std::process::Command;

const REGENERATE: &str = "scripts/fixtures.sh (then review `git diff fixtures/`)";

struct Case {
    capture: String,
    expected: String,
    flags: Vec<String>,
}

fn cases(root: &Path) -> Vec<Case> {
    let list = std::fs::read_to_string(root.join("fixtures/TESTLIST")).unwrap();
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut w = l.split_whitespace().map(String::from);
            let capture = w.next().unwrap();
            let expected = w
                .next()
                .unwrap_or_else(|| panic!("TESTLIST: no expected file in {l:?}"));
            Case {
                capture,
                expected,
                flags: w.collect(),
            }
        })
        .collect()
}

/// The lines that differ, by line number: `-` expected, `+` printed; the first few only.
fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut s = String::new();
    let differing = (0..w.len().max(g.len())).filter(|&i| w.get(i) != g.get(i));
    for (shown, i) in differing.enumerate() {
        if shown == 5 {
            s += "    ...\n";
            break;
        }
        s += &format!("    line {}:\n", i + 1);
        if let Some(l) = w.get(i) {
            s += &format!("    - {l}\n");
        }
        if let Some(l) = g.get(i) {
            s += &format!("    + {l}\n");
        }
    }
    if w.len() != g.len() {
        s += &format!("    ({} lines expected, {} printed)\n", w.len(), g.len());
    }
    if s.is_empty() {
        s += "    (the same lines; line endings or the final newline differ)\n";
    }
    s
}

#[test]
fn every_fixture_prints_its_expected_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = cases(root);
    assert!(cases.len() >= 10, "TESTLIST has {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let capture = format!("fixtures/{}", c.capture);
        // Run from the top of the tree so error lines name the path as the script gave it.
        let o = Command::new(env!("CARGO_BIN_EXE_nscap"))
            .current_dir(root)
            .env("TZ", "UTC")
            .env("LC_ALL", "C")
            .arg("-r")
            .arg(&capture)
            .args(&c.flags)
            .output()
            .unwrap();
        let stem = c.expected.strip_suffix(".out").unwrap_or(&c.expected);
        let dir = root.join("fixtures/expected");
        let want_out = std::fs::read_to_string(dir.join(&c.expected)).unwrap_or_default();
        let want_err = std::fs::read_to_string(dir.join(format!("{stem}.err")));
        let got_out = String::from_utf8_lossy(&o.stdout);
        let status = o.status.code().map_or("a signal".into(), |c| c.to_string());
        let got_err = String::from_utf8_lossy(&o.stderr);
        // Same form as the script: stderr, then the exit status, when either says anything.
        let got_err = (o.status.code() != Some(0) || !got_err.is_empty())
            .then(|| format!("{got_err}exit {status}\n"));
        let cmd = format!("TZ=UTC nscap -r {capture} {}", c.flags.join(" "))
            .trim_end()
            .to_string();
        if got_out != want_out {
            failures.push(format!(
                "{cmd}\n  stdout differs from fixtures/expected/{}\n{}",
                c.expected,
                diff(&want_out, &got_out)
            ));
        }
        match (want_err.ok(), got_err) {
            (None, None) => {}
            (want, got) => {
                let (want, got) = (want.unwrap_or_default(), got.unwrap_or_default());
                if want != got {
                    failures.push(format!(
                        "{cmd}\n  stderr and exit status differ from fixtures/expected/{stem}.err\n{}",
                        diff(&want, &got)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixture cases differ:\n\n{}\nIf the new output is right, regenerate with {REGENERATE}.",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Every capture in fixtures/ is in the list, and every expected file belongs to a case:
/// nothing there goes untested or stale.
#[test]
fn the_list_covers_every_file_in_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = cases(root);
    for e in std::fs::read_dir(root.join("fixtures")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            assert!(
                cases.iter().any(|c| c.capture == name),
                "fixtures/{name} is in no TESTLIST case"
            );
        }
    }
    for e in std::fs::read_dir(root.join("fixtures/expected")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let stem = name.trim_end_matches(".out").trim_end_matches(".err");
        assert!(
            cases.iter().any(|c| c.expected == format!("{stem}.out")),
            "fixtures/expected/{name} belongs to no TESTLIST case: regenerate with {REGENERATE}"
        );
    }
}
