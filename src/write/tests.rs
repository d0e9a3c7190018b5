//! The writer's tests: atomic writes, refusals, the manifest.

use super::*;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wireplan-write-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn artifact(path: &str, text: &str) -> Artifact {
    Artifact::new(path, text)
}

#[test]
fn a_planted_link_at_the_temporary_name_is_not_followed() {
    let dir = temp("planted");
    let victim = dir.join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    let first = temporary_names("out.html").next().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, dir.join(&first)).unwrap();
    Writer::default().write_file(&dir.join("out.html"), b"<html>").unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(fs::read_to_string(dir.join("out.html")).unwrap(), "<html>");
    assert!(fs::symlink_metadata(dir.join(&first)).unwrap().file_type().is_symlink());
    let _ = fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn permissions_are_kept_and_links_fifos_and_folders_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("kinds");
    let private = dir.join("private.html");
    fs::write(&private, "old").unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    let writer = Writer::default();
    writer.write_file(&private, b"new").unwrap();
    assert_eq!(fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::read_to_string(&private).unwrap(), "new");
    let link = dir.join("link.html");
    std::os::unix::fs::symlink(&private, &link).unwrap();
    assert!(matches!(writer.write_file(&link, b"x"), Err(WriteError::Refused { .. })));
    assert_eq!(fs::read_to_string(&private).unwrap(), "new");
    assert!(matches!(writer.write_file(&dir, b"x"), Err(WriteError::Refused { .. })));
    let null = Path::new("/dev/null");
    assert!(matches!(writer.write_file(null, b"x"), Err(WriteError::Refused { .. })));
    // Nothing is left behind.
    let left: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "{left:?}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_spec_file_is_never_written_even_through_another_name() {
    let dir = temp("spec");
    let spec = dir.join("wireplan.kdl");
    fs::write(&spec, "stack \"a\"\n").unwrap();
    let writer = Writer::new([spec.as_path()]);
    let err = writer.write_file(&dir.join("sub/../wireplan.kdl"), b"<html>");
    assert!(err.is_err());
    #[cfg(unix)]
    {
        fs::hard_link(&spec, dir.join("hard.kdl")).unwrap();
        assert!(writer.write_file(&dir.join("hard.kdl"), b"<html>").is_err());
    }
    assert_eq!(fs::read_to_string(&spec).unwrap(), "stack \"a\"\n");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn paths_that_could_leave_the_folder_are_refused() {
    for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\..\\b", ".wireplan-manifest.json"] {
        assert!(components(bad).is_err(), "{bad:?}");
    }
    assert_eq!(components("node-red/flows.json").unwrap(), ["node-red", "flows.json"]);
    #[cfg(unix)]
    {
        let dir = temp("escape");
        let outside = temp("escape-outside");
        std::os::unix::fs::symlink(&outside, dir.join("node-red")).unwrap();
        let err = write_tree(&Writer::default(), &dir, "hub", &[artifact("node-red/flows.json", "[]")], true);
        assert!(err.is_err());
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0, "nothing written through the link");
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::remove_dir_all(&outside);
    }
}

#[test]
fn the_manifest_guards_hand_edits_and_removes_stale_files() {
    let dir = temp("tree");
    let writer = Writer::default();
    let first = [artifact("a/one.txt", "1"), artifact("two.txt", "2")];
    let report = write_tree(&writer, &dir, "hub", &first, false).unwrap();
    assert_eq!(report.written, ["a/one.txt", "two.txt"]);
    assert!(compare_tree(&writer, &dir, "hub", &first).unwrap().is_empty());
    let manifest = fs::read(dir.join(MANIFEST)).unwrap();
    // Byte-identical on a second run, and nothing written.
    let report = write_tree(&writer, &dir, "hub", &first, false).unwrap();
    assert!(report.written.is_empty());
    assert_eq!(fs::read(dir.join(MANIFEST)).unwrap(), manifest);
    // The spec changes: one file changes, one goes.
    let second = [artifact("a/one.txt", "1!")];
    let diff = compare_tree(&writer, &dir, "hub", &second).unwrap();
    assert_eq!(diff, [Difference::Changed("a/one.txt".into()), Difference::Stale("two.txt".into())]);
    write_tree(&writer, &dir, "hub", &second, false).unwrap();
    assert!(!dir.join("two.txt").exists());
    // A hand edit stops the build, names the file, and --force wins.
    fs::write(dir.join("a/one.txt"), "edited").unwrap();
    assert_eq!(compare_tree(&writer, &dir, "hub", &second).unwrap(), [Difference::Edited("a/one.txt".into())]);
    let errors = write_tree(&writer, &dir, "hub", &second, false).unwrap_err();
    assert!(errors[0].to_string().contains("one.txt") && errors[0].to_string().contains("edited by hand"));
    assert_eq!(fs::read_to_string(dir.join("a/one.txt")).unwrap(), "edited");
    write_tree(&writer, &dir, "hub", &second, true).unwrap();
    assert_eq!(fs::read_to_string(dir.join("a/one.txt")).unwrap(), "1!");
    // A file wireplan did not make is not overwritten either.
    let third = [artifact("a/one.txt", "1!"), artifact("mine.txt", "generated")];
    fs::write(dir.join("mine.txt"), "the user's").unwrap();
    let diff = compare_tree(&writer, &dir, "hub", &third).unwrap();
    assert_eq!(diff, [Difference::NotGenerated("mine.txt".into())]);
    assert!(write_tree(&writer, &dir, "hub", &third, false).is_err());
    assert_eq!(fs::read_to_string(dir.join("mine.txt")).unwrap(), "the user's");
    // Another target's folder is not taken over.
    assert!(write_tree(&writer, &dir, "broker", &second, false).is_err());
    let _ = fs::remove_dir_all(&dir);
}

/// A streamed artifact: the same files, bytes and manifest as the same
/// bytes given whole, made once on a first build, compared by hash on a
/// rebuild, and its write error reported at its path.
#[test]
fn a_streamed_artifact_is_written_and_compared_as_its_bytes() {
    let streamed = |text: &'static str| {
        Artifact::streamed("big/flows.json", move |out: &mut dyn io::Write| {
            // Many small writes, as a document's nodes are written.
            for piece in text.as_bytes().chunks(3) {
                out.write_all(piece)?;
            }
            Ok(())
        })
    };
    let (whole, streaming) = (temp("whole"), temp("streamed"));
    let writer = Writer::default();
    write_tree(&writer, &whole, "hub", &[artifact("big/flows.json", "[1, 2, 3]\n")], false).unwrap();
    let report = write_tree(&writer, &streaming, "hub", &[streamed("[1, 2, 3]\n")], false).unwrap();
    assert_eq!(report.written, ["big/flows.json"]);
    assert_eq!(fs::read(streaming.join("big/flows.json")).unwrap(), b"[1, 2, 3]\n");
    assert_eq!(fs::read(streaming.join(MANIFEST)).unwrap(), fs::read(whole.join(MANIFEST)).unwrap());
    // Unchanged: nothing written; changed: written again.
    assert!(compare_tree(&writer, &streaming, "hub", &[streamed("[1, 2, 3]\n")]).unwrap().is_empty());
    assert!(write_tree(&writer, &streaming, "hub", &[streamed("[1, 2, 3]\n")], false).unwrap().written.is_empty());
    let changed = [streamed("[4]\n")];
    assert_eq!(
        compare_tree(&writer, &streaming, "hub", &changed).unwrap(),
        [Difference::Changed("big/flows.json".into())]
    );
    write_tree(&writer, &streaming, "hub", &changed, false).unwrap();
    assert_eq!(fs::read(streaming.join("big/flows.json")).unwrap(), b"[4]\n");
    write_tree(&writer, &whole, "hub", &[artifact("big/flows.json", "[4]\n")], false).unwrap();
    assert_eq!(fs::read(streaming.join(MANIFEST)).unwrap(), fs::read(whole.join(MANIFEST)).unwrap());
    // A producer that fails leaves the old file and no temporary behind.
    let failing = [Artifact::streamed("big/flows.json", |out: &mut dyn io::Write| {
        out.write_all(b"[half")?;
        Err(io::Error::other("the producer failed"))
    })];
    let errors = write_tree(&writer, &streaming, "hub", &failing, true).unwrap_err();
    assert!(errors[0].to_string().contains("flows.json"), "{}", errors[0]);
    assert_eq!(fs::read(streaming.join("big/flows.json")).unwrap(), b"[4]\n");
    assert_eq!(fs::read_dir(streaming.join("big")).unwrap().count(), 1);
    let _ = fs::remove_dir_all(&whole);
    let _ = fs::remove_dir_all(&streaming);
}
