//! The reference-policy library: every folder is a built-in, documented in the README,
//! and every candidate example behaves as its name says (`pass-*` / `fail-*`).

mod common;

use hornbeam::checks::{self, Options, Verdict};
use hornbeam::policy::{self, PolicyType};
use hornbeam::references::{self, Use};

fn folders() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(common::repo_path("reference-policies"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn every_folder_is_a_documented_builtin() {
    let readme = std::fs::read_to_string(common::repo_path("reference-policies/README.md"))
        .unwrap_or_default();
    let mut names: Vec<String> = references::ALL.iter().map(|b| b.name.to_string()).collect();
    names.sort();
    assert_eq!(folders(), names);
    assert!(
        names.len() >= 12 + 2,
        "the library has at least 12 entries beyond the examples"
    );
    for b in references::ALL {
        assert!(
            readme.contains(&format!("`{}`", b.name)),
            "README lacks `{}`",
            b.name
        );
        match b.kind {
            Use::Reference(t) => {
                policy::parse(b.text, t).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            }
            Use::Access => {
                let access = hornbeam::request::parse_access_list(b.text)
                    .unwrap_or_else(|e| panic!("{}: {e}", b.name));
                checks::validate_access(&access).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            }
        }
    }
}

#[test]
fn every_candidate_behaves_as_labelled() {
    let mut seen = 0;
    for b in references::ALL {
        let dir = common::repo_path(&format!("reference-policies/{}/candidates", b.name));
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        let (mut passes, mut fails) = (0, 0);
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let want = if name.starts_with("pass-") {
                passes += 1;
                Verdict::Pass
            } else if name.starts_with("fail-") {
                fails += 1;
                Verdict::Fail
            } else {
                panic!("{}: candidates are named pass-* or fail-*", f.display());
            };
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let opts = Options::default();
            let result = match b.kind {
                Use::Reference(t) => {
                    let reference = policy::parse(b.text, t).unwrap_or_else(|e| panic!("{e}"));
                    let candidate =
                        policy::parse(&text, t).unwrap_or_else(|e| panic!("{name}: {e}"));
                    hornbeam::run(
                        &hornbeam::Check::NoNewAccess {
                            new: &candidate,
                            existing: &reference,
                        },
                        &opts,
                    )
                }
                Use::Access => {
                    let access = hornbeam::request::parse_access_list(b.text)
                        .unwrap_or_else(|e| panic!("{e}"));
                    let candidate = policy::parse(&text, PolicyType::Identity)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    hornbeam::run(
                        &hornbeam::Check::AccessNotGranted {
                            policy: &candidate,
                            access: &access,
                        },
                        &opts,
                    )
                }
            }
            .unwrap_or_else(|e| panic!("{}/{name}: {e}", b.name));
            assert!(
                result.inconclusive().is_none(),
                "{}/{name}: {:?}",
                b.name,
                result.inconclusive()
            );
            assert_eq!(
                result.verdict(),
                want,
                "{}/{name}: {}",
                b.name,
                result.message()
            );
            seen += 1;
        }
        assert!(
            passes >= 1 && fails >= 1,
            "{}: needs pass-* and fail-* candidates",
            b.name
        );
    }
    assert!(seen >= 40, "{seen}");
}

#[test]
fn the_library_from_the_command_line() {
    let bin = env!("CARGO_BIN_EXE_hornbeam");
    let r = common::hornbeam_with_stdin(bin, &["reference-policies", "list"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for b in references::ALL {
        assert!(
            r.stdout.contains(&format!("builtin:{}", b.name)),
            "{}",
            r.stdout
        );
    }
    let r = common::hornbeam_with_stdin(bin, &["reference-policies", "show", "read-only"], None);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        std::fs::read_to_string(common::repo_path(
            "reference-policies/read-only/policy.json"
        ))
        .unwrap_or_default()
    );
    let r = common::hornbeam_with_stdin(bin, &["reference-policies", "show", "nope"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no built-in `nope`") && r.stderr.contains("read-only"),
        "{}",
        r.stderr
    );
    // By name in a check, for a reference and for an access list.
    let candidate = "file://reference-policies/no-secrets-read/candidates/fail-read-secrets.json";
    let r = common::hornbeam_with_stdin(
        bin,
        &[
            "check-no-new-access",
            "--new-policy-document",
            candidate,
            "--existing-policy-document",
            "builtin:no-secrets-read",
            "--policy-type",
            "identity",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = common::hornbeam_with_stdin(
        bin,
        &[
            "check-access-not-granted",
            "--policy-document",
            candidate,
            "--access",
            "builtin:sensitive-iam-actions",
            "--policy-type",
            "IDENTITY_POLICY",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}
