//! Hostile input that reaches git: `check --changed-since REV` and
//! `diff --against REV` read the old spec from the repository the command
//! runs in, and nothing committed in the spec's folder (a bare-repository
//! layout whose config names a filter, an fsmonitor or hooks) may run. Also
//! `diff` of a spec that does not parse (exit 2) and `WIREPLAN_THREADS=0`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{TempSpec, code, run_in, stderr, stdout, wireplan};

/// Runs git with a fixed identity in `dir`; the test's own setup, so it may
/// run anything.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The spec committed in the real repository.
const COMMITTED: &str = "system \"crm\" kind=crm\nsystem \"erp\" kind=erp\n";
/// The spec in the planted repository: if it were read, `erp` would show as added.
const PLANTED: &str = "system \"crm\" kind=crm\nsystem \"evil\" kind=crm\n";
/// The spec now: `hr` is new.
const NOW: &str = "system \"crm\" kind=crm\nsystem \"erp\" kind=erp\nsystem \"hr\" kind=erp\n";

/// A real repository at `<tmp>/repo` whose committed spec folder `arch/`
/// also holds a bare repository's layout (HEAD, config, objects, refs) with
/// a commit of its own, and a config that runs a script (writing
/// `<tmp>/marker`) as a smudge and clean filter (applied to every file by a
/// `.gitattributes`), as the fsmonitor, as a hook and as the pager.
struct Planted {
    spec: TempSpec,
}

impl Planted {
    fn new(name: &str) -> Self {
        let spec = TempSpec::new(name);
        let repo = spec.dir.join("repo");
        let marker = spec.dir.join("marker");
        let script =
            spec.file("repo/arch/evil.sh", format!("#!/bin/sh\necho ran \"$@\" >> '{}'\ncat\n", marker.display()));
        set_executable(&script);
        // The planted repository, made apart and copied into `arch/`.
        let bare = spec.dir.join("planted.git");
        let work = spec.dir.join("planted-work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("wireplan.kdl"), PLANTED).unwrap();
        std::fs::write(work.join(".gitattributes"), "* filter=evil diff=evil\n").unwrap();
        git(&spec.dir, &["init", "-q", "--bare", "planted.git"]);
        let g = |args: &[&str]| {
            let mut all = vec!["--git-dir", bare.to_str().unwrap(), "--work-tree", work.to_str().unwrap()];
            all.extend_from_slice(args);
            git(&spec.dir, &all);
        };
        g(&["add", "-A"]);
        g(&["commit", "-qm", "planted"]);
        copy_dir(&bare.join("objects"), &repo.join("arch/objects"));
        copy_dir(&bare.join("refs"), &repo.join("arch/refs"));
        std::fs::copy(bare.join("HEAD"), repo.join("arch/HEAD")).unwrap();
        let run = script.display();
        spec.file(
            "repo/arch/config",
            format!(
                "[core]\n\tbare = false\n\tworktree = {wt}\n\tfsmonitor = {run}\n\thooksPath = {hooks}\n\tpager = {run}\n\
                 [filter \"evil\"]\n\tsmudge = {run}\n\tclean = {run}\n\tprocess = {run}\n\
                 [diff \"evil\"]\n\ttextconv = {run}\n[uploadpack]\n\tpackObjectsHook = {run}\n",
                wt = repo.display(),
                hooks = repo.join("arch/hooks").display(),
            ),
        );
        for hook in ["post-checkout", "pre-commit", "post-index-change", "reference-transaction"] {
            let path = spec.file(&format!("repo/arch/hooks/{hook}"), format!("#!/bin/sh\n{run}\n"));
            set_executable(&path);
        }
        spec.file("repo/arch/.gitattributes", "* filter=evil diff=evil\n");
        spec.file("repo/arch/wireplan.kdl", COMMITTED);
        git(&repo, &["init", "-q"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", "one"]);
        spec.file("repo/arch/wireplan.kdl", NOW);
        assert!(!marker.exists(), "the setup itself ran the planted script");
        Planted { spec }
    }

    fn repo(&self) -> PathBuf {
        self.spec.dir.join("repo")
    }

    fn marker(&self) -> PathBuf {
        self.spec.dir.join("marker")
    }
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `wireplan ARGS` in `dir` with a `GIT_DIR` pointing at the planted
/// repository, as if inherited from a hook: wireplan must not take it.
fn run_with_git_env(dir: &Path, planted: &Path, args: &[&str]) -> Output {
    wireplan()
        .args(args)
        .current_dir(dir)
        .env("GIT_DIR", planted)
        .env("GIT_CONFIG_PARAMETERS", format!("'core.fsmonitor'='{}'", planted.join("evil.sh").display()))
        .output()
        .unwrap()
}

#[test]
fn a_repository_planted_in_the_spec_folder_is_never_used_and_runs_nothing() {
    let planted = Planted::new("hostile-git-planted");
    let repo = planted.repo();
    let arch = repo.join("arch");
    for (dir, path) in [(&repo, "arch"), (&arch, ".")] {
        let outs = [
            ("diff", run_in(dir, &["diff", "--against", "HEAD", path])),
            ("check", run_in(dir, &["check", path, "--changed-since", "HEAD", "--format", "short"])),
            ("diff with GIT_DIR", run_with_git_env(dir, &arch, &["diff", "--against", "HEAD", path])),
        ];
        for (what, out) in &outs {
            assert!(
                !planted.marker().exists(),
                "{what} from {}: the planted script ran: {}\n{}",
                dir.display(),
                std::fs::read_to_string(planted.marker()).unwrap_or_default(),
                stderr(out)
            );
        }
        let [(_, diff), (_, check), (_, diff_env)] = &outs;
        // The old spec is the enclosing repository's: only `hr` is new.
        for out in [diff, diff_env] {
            assert_eq!(code(out), 0, "from {}: {}", dir.display(), stderr(out));
            let text = stdout(out);
            assert!(text.contains("system \"hr\": added"), "{text}");
            assert!(!text.contains("erp") && !text.contains("evil"), "the old spec was not the committed one: {text}");
        }
        assert_eq!(code(check), 0, "{}", stderr(check));
        let text = stdout(check);
        assert!(text.contains("`hr`"), "the changed system's finding: {text}");
        assert!(!text.contains("`erp`"), "the unchanged system's finding is not reported: {text}");
    }
}

#[test]
fn revisions_that_are_options_or_missing_and_specs_outside_a_repository_are_usage_errors() {
    let planted = Planted::new("hostile-git-revs");
    let repo = planted.repo();
    let written = planted.spec.dir.join("written");
    let output = format!("--output={}", written.display());
    for rev in [output.as_str(), "-h", "--help", "no-such-rev", "HEAD~5", "", "HEAD:arch"] {
        for args in [
            ["diff".to_owned(), format!("--against={rev}"), "arch".to_owned()],
            ["check".to_owned(), "arch".to_owned(), format!("--changed-since={rev}")],
        ] {
            let out = wireplan().args(&args).current_dir(&repo).output().unwrap();
            assert_eq!(code(&out), 2, "{args:?}: {}{}", stdout(&out), stderr(&out));
            let err = stderr(&out);
            assert!(err.contains("revision"), "{args:?}: the message names the revision: {err}");
            assert!(!err.contains("fatal:") && !err.contains("usage: git"), "{args:?}: git's own message: {err}");
        }
    }
    assert!(!planted.marker().exists());
    assert!(!written.exists(), "a revision was taken as an option");

    // A spec in no repository at all (the temporary folder is outside every repository).
    let outside = tempfile_dir("hostile-git-outside");
    std::fs::write(outside.join("wireplan.kdl"), COMMITTED).unwrap();
    for args in [&["diff", "--against", "HEAD"][..], &["check", "--changed-since", "HEAD"][..]] {
        let out = run_in(&outside, args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("no git repository"), "{args:?}: {}", stderr(&out));
    }
    // A spec outside the repository the command runs in.
    let out = run_in(&repo, &["diff", "--against", "HEAD", outside.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("outside the git repository"), "{}", stderr(&out));
    // A spec folder that did not exist at the revision.
    std::fs::create_dir_all(repo.join("later")).unwrap();
    std::fs::write(repo.join("later/wireplan.kdl"), COMMITTED).unwrap();
    let out = run_in(&repo, &["diff", "--against", "HEAD", "later"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("`later`") && stderr(&out).contains("HEAD"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&outside);
}

/// A fresh folder in the system's temporary folder, outside every repository
/// (the test target folder lies inside this repository's worktree).
fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut up = Some(dir.as_path());
    while let Some(at) = up {
        assert!(!at.join(".git").exists(), "{} is inside a git repository", dir.display());
        up = at.parent();
    }
    dir
}

#[test]
fn the_old_spec_is_read_from_objects_only() {
    // Links, files over nothing and nested folders: the old spec holds what
    // was committed, links are not followed, and the spec's includes work.
    let spec = TempSpec::new("hostile-git-objects");
    spec.file("arch/wireplan.kdl", "include \"teams/*.kdl\"\nsystem \"crm\" kind=crm\n");
    spec.file("arch/teams/a.kdl", "system \"erp\" kind=erp\n");
    std::os::unix::fs::symlink("/etc/passwd", spec.dir.join("arch/teams/b.kdl")).unwrap();
    git(&spec.dir, &["init", "-q"]);
    git(&spec.dir, &["add", "-A"]);
    git(&spec.dir, &["commit", "-qm", "one"]);
    std::fs::remove_file(spec.dir.join("arch/teams/b.kdl")).unwrap();
    spec.file("arch/teams/a.kdl", "system \"erp\" kind=erp\nsystem \"hr\" kind=erp\n");
    let out = spec.run(&["diff", "--against", "HEAD", "arch"]);
    let text = stdout(&out);
    assert!(text.contains("system \"hr\": added"), "{text}{}", stderr(&out));
    assert!(!text.contains("root"), "{text}");
    assert!(!stderr(&out).contains("root:"), "{}", stderr(&out));
    // Where the link was, the old spec had no file: its include matched only `a.kdl`.
    assert_eq!(code(&out), 0, "{text}{}", stderr(&out));
    // A linked worktree has a gitfile (`.git` naming the repository's folder).
    git(&spec.dir, &["worktree", "add", "-q", "linked"]);
    // The temporary folder the old spec was read into is gone.
    let tmp = spec.dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = wireplan()
        .args(["diff", "--against", "HEAD", "arch"])
        .current_dir(&spec.dir)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "a temporary folder was left behind");
    let linked = spec.dir.join("linked");
    assert!(linked.join(".git").is_file());
    std::fs::remove_file(linked.join("arch/teams/b.kdl")).unwrap();
    std::fs::write(linked.join("arch/teams/a.kdl"), "system \"erp\" kind=erp\nsystem \"pay\" kind=erp\n").unwrap();
    let out = run_in(&linked.join("arch"), &["diff", "--against", "HEAD"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("system \"pay\": added"), "{}", stdout(&out));
}

#[test]
fn a_diff_of_a_spec_with_spec_errors_is_an_error_that_shows_them() {
    let spec = TempSpec::new("hostile-git-diff-errors");
    spec.file("old/wireplan.kdl", COMMITTED);
    // The new spec does not parse; its secret must be masked where the error is shown.
    spec.file(
        "new/wireplan.kdl",
        "system \"crm\" kind=crm {\n    secret \"sk_live_51HxQeTz8KXbq0Rn2Ww9\"\n}\nsystem \"erp kind=erp\n",
    );
    for (old, new, which) in [("old", "new", "new"), ("new", "old", "old")] {
        let out = spec.run(&["diff", old, new]);
        assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("the {which} spec has")), "{err}");
        assert!(err.contains("error[syntax]") || err.contains("syntax"), "the errors are shown: {err}");
        assert!(!err.contains("51HxQeTz8KXbq0Rn2Ww9") && !stdout(&out).contains("51HxQeTz8KXbq0Rn2Ww9"), "{err}");
        assert!(!stdout(&out).contains("0 breaking"), "{}", stdout(&out));
    }
    // Lowering errors count too: an unknown system kind.
    spec.file("new/wireplan.kdl", "system \"crm\" kind=no-such-kind\n");
    let out = spec.run(&["diff", "old", "new"]);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("bad-value"), "{}", stderr(&out));
    // A clean pair still compares.
    spec.file("new/wireplan.kdl", NOW);
    assert_eq!(code(&spec.run(&["diff", "old", "new"])), 0);
}

#[test]
fn wireplan_threads_out_of_range_is_clamped_with_a_warning() {
    let spec = TempSpec::new("hostile-git-threads");
    spec.file("wireplan.kdl", COMMITTED);
    for (value, expect) in [("0", "using 1 thread"), ("-3", "using 1 thread"), ("100000", "using 256 threads")] {
        let out = wireplan().args(["check"]).current_dir(&spec.dir).env("WIREPLAN_THREADS", value).output().unwrap();
        assert!(code(&out) == 0 || code(&out) == 1, "{}", stderr(&out));
        assert!(stderr(&out).contains(expect), "WIREPLAN_THREADS={value}: {}", stderr(&out));
    }
    let out = wireplan().args(["check"]).current_dir(&spec.dir).env("WIREPLAN_THREADS", "4").output().unwrap();
    assert!(!stderr(&out).contains("WIREPLAN_THREADS"), "{}", stderr(&out));
}
